import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.ts';

/** `.buildpacks`: one reference a line; trim, strip CR, skip blank and `#` lines. */
export function parseBuildpacksFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r/g, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** heroku-buildpack-multi (and its forks) as BUILDPACK_URL mean "read `.buildpacks`". */
export function isMultiBuildpackUrl(url: string): boolean {
  const base = url.split('#')[0] ?? '';
  return /^(https?|git):\/\/github\.com\/[\w.-]+\/heroku-buildpack-multi(\.git)?\/?$/i.test(base);
}

export type BuildpackSource = 'app' | 'BUILDPACK_URL' | '.buildpacks' | 'auto-detect';

export interface Choice {
  source: BuildpackSource;
  /** empty when source is auto-detect */
  refs: string[];
}

/**
 * Which buildpacks to run, first that applies: the app's list, BUILDPACK_URL, `.buildpacks`,
 * auto-detect. BUILDPACK_URL may hold several references separated by whitespace (Wharf's
 * extension: a URL cannot contain whitespace), or heroku-buildpack-multi's URL.
 */
export async function chooseBuildpacks(
  explicit: string[] | undefined,
  env: Record<string, string>,
  buildDir: string,
): Promise<Choice> {
  const list = (explicit ?? []).map((s) => s.trim()).filter((s) => s !== '');
  if (list.length > 0) return { source: 'app', refs: list };
  const fromEnv = (env['BUILDPACK_URL'] ?? '').split(/\s+/).filter((s) => s !== '');
  if (fromEnv.length > 0) {
    if (fromEnv.length === 1 && isMultiBuildpackUrl(fromEnv[0]!)) {
      const refs = await readBuildpacksFile(buildDir);
      if (refs === null || refs.length === 0) {
        throw new BuildError(
          'detect',
          'BUILDPACK_URL names heroku-buildpack-multi but the app has no `.buildpacks` file listing the buildpacks to run; add one, or list them in BUILDPACK_URL separated by spaces',
        );
      }
      return { source: '.buildpacks', refs };
    }
    return { source: 'BUILDPACK_URL', refs: fromEnv };
  }
  const file = await readBuildpacksFile(buildDir);
  if (file !== null && file.length > 0) return { source: '.buildpacks', refs: file };
  return { source: 'auto-detect', refs: [] };
}

async function readBuildpacksFile(buildDir: string): Promise<string[] | null> {
  try {
    return parseBuildpacksFile(await readFile(path.join(buildDir, '.buildpacks'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
