import { existsSync } from 'node:fs';
import path from 'node:path';
import { BuildError } from './errors.ts';
import { type ExecResult, exec, exitDescription } from './exec.ts';
import type { PreparedBuildpack } from './fetch.ts';
import { type Isolation, wrapCommand } from './isolation.ts';
import { indent } from './output.ts';
import { parseReleaseYaml, type ReleaseInfo } from './release.ts';

export interface PhaseContext {
  isolation: Isolation;
  /** the build dir on this machine */
  hostBuildDir: string;
  /** BUILD_DIR as buildpacks see it: /app inside a private mount namespace, else hostBuildDir */
  buildDir: string;
  cacheDir: string;
  envDir: string;
  env: NodeJS.ProcessEnv;
  output: (line: string) => void;
  signal?: AbortSignal;
}

function runInBuild(
  ctx: PhaseContext,
  file: string,
  args: string[],
  captureStdout: boolean,
): Promise<ExecResult> {
  const cmd = wrapCommand(ctx.isolation, ctx.hostBuildDir, file, args);
  return exec(cmd.file, cmd.args, {
    cwd: ctx.hostBuildDir,
    env: ctx.env,
    signal: ctx.signal,
    captureStdout,
    onLine: (l) => ctx.output(indent(l)),
  });
}

/** `bin/detect BUILD_DIR`: exit 0 applies, and trimmed stdout is the buildpack's name. */
export async function detect(ctx: PhaseContext, bp: PreparedBuildpack): Promise<string | null> {
  const r = await runInBuild(ctx, path.join(bp.dir, 'bin', 'detect'), [ctx.buildDir], true);
  if (r.code !== 0) return null;
  const name = r.stdout.trim().replace(/\s*\n\s*/g, ' ');
  return name === '' ? bp.reference : name;
}

/** `bin/compile BUILD_DIR CACHE_DIR ENV_DIR` in a bash that has sourced earlier buildpacks' `export` files. */
export async function compile(
  ctx: PhaseContext,
  bp: PreparedBuildpack,
  exportFiles: string[],
): Promise<void> {
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do . "$1"; shift; n=$((n-1)); done; exec "$@"';
  const r = await runInBuild(
    ctx,
    'bash',
    [
      '-c',
      script,
      'wharf-compile',
      String(exportFiles.length),
      ...exportFiles,
      path.join(bp.dir, 'bin', 'compile'),
      ctx.buildDir,
      ctx.cacheDir,
      ctx.envDir,
    ],
    false,
  );
  if (r.code !== 0) {
    throw new BuildError('compile', `buildpack ${bp.reference} failed at compile (${exitDescription(r)})`, {
      buildpack: bp.reference,
    });
  }
}

/** `bin/release BUILD_DIR` if present; no release script means no defaults. */
export async function release(ctx: PhaseContext, bp: PreparedBuildpack): Promise<ReleaseInfo> {
  const file = path.join(bp.dir, 'bin', 'release');
  if (!existsSync(file)) return { processTypes: {}, addons: [], configVars: {} };
  const r = await runInBuild(ctx, file, [ctx.buildDir], true);
  if (r.code !== 0) {
    throw new BuildError('release', `buildpack ${bp.reference} failed at release (${exitDescription(r)})`, {
      buildpack: bp.reference,
    });
  }
  try {
    return parseReleaseYaml(r.stdout);
  } catch (e) {
    throw new BuildError(
      'release',
      `buildpack ${bp.reference} printed invalid release YAML: ${(e as Error).message}`,
      { buildpack: bp.reference, cause: e },
    );
  }
}
