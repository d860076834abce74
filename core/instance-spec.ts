import type { Ctx } from './context.ts';
import type { Artifact, Release } from './domain.ts';
import type { InstanceSpec } from './ports.ts';

/** What one instance of a process type of a release runs, with its full environment. */
export function instanceSpec(
  ctx: Ctx,
  release: Release,
  artifact: Artifact | null,
  processType: string,
  command?: string,
): InstanceSpec {
  const env: Record<string, string> = {
    ...(artifact?.configDefaults ?? {}),
    ...release.env,
    ...(release.processEnv[processType] ?? {}),
    ...ctx.settings.instanceEnv({ app: release.app, processType }),
    WHARF_APP: release.app,
    WHARF_RELEASE: `v${release.version}`,
    WHARF_PROCESS_TYPE: processType,
  };
  return {
    app: release.app,
    processType,
    releaseVersion: release.version,
    command: command ?? release.processes[processType] ?? '',
    env,
    artifactUri: artifact?.uri ?? null,
    oneOff: command !== undefined,
  };
}

export async function loadArtifact(ctx: Ctx, release: Release): Promise<Artifact | null> {
  return release.artifactId ? ctx.store.getArtifact(release.artifactId) : null;
}
