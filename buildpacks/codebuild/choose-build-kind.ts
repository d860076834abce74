/** Which CodeBuild project builds an app: the buildpack runner, or `docker build`. */
export type BuildKind = 'buildpacks' | 'docker';

/**
 * The app buildpack list that means "build my Dockerfile" (the same value as
 * adapters/aws/codebuild-builder.ts's DOCKERFILE_BUILDPACK, for users who want Docker even with
 * buildpack config present).
 */
export const DOCKERFILE_BUILDPACK = 'dockerfile';

/**
 * An app builds with Docker when its source has a root `Dockerfile` and nothing asks for
 * buildpacks: no app buildpack list, no BUILDPACK_URL, no `.buildpacks` file. Any of those wins,
 * as on Dokku, so adding a Dockerfile for local use never changes how a buildpack app deploys.
 *
 * @param files paths in the source, relative to its root (`Dockerfile`, `./Dockerfile` and
 *   `src/Dockerfile` are told apart: only the root one counts)
 * @param env the app's config vars
 * @param appBuildpacks the app's explicit buildpack list (`wharf buildpacks set`)
 */
export function chooseBuildKind(
  files: readonly string[],
  env: Readonly<Record<string, string>>,
  appBuildpacks: readonly string[],
): BuildKind {
  const list = appBuildpacks.map((b) => b.trim()).filter((b) => b !== '');
  if (list.length === 1 && list[0] === DOCKERFILE_BUILDPACK) return 'docker';
  if (list.length > 0) return 'buildpacks';
  if ((env['BUILDPACK_URL'] ?? '').trim() !== '') return 'buildpacks';
  const root = new Set(files.map((f) => f.replace(/^\.\//, '').replace(/\/+$/, '')));
  if (root.has('.buildpacks')) return 'buildpacks';
  return root.has('Dockerfile') ? 'docker' : 'buildpacks';
}
