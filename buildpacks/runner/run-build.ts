import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_ORDER } from './aliases.ts';
import { chooseBuildpacks } from './choose.ts';
import { BuildError } from './errors.ts';
import { type FetchContext, type PreparedBuildpack, prepareBuildpack } from './fetch.ts';
import {
  APP_DIR,
  claimAppDir,
  detectIsolation,
  ensureMountPoint,
  type Isolation,
  probe,
} from './isolation.ts';
import { step, warning } from './output.ts';
import { compile, detect, type PhaseContext, release } from './phases.ts';
import { readProcfile } from './procfile.ts';
import { mergeReleases, type ReleaseInfo } from './release.ts';
import { createSlug } from './slug.ts';
import { applySlugignore, copySource } from './source.ts';
import type { BuildpackInfo, IsolationMode, RunBuildOptions, RunBuildResult } from './types.ts';

/** Host variables a buildpack may need; everything else (cloud credentials included) stays out. */
const PASSTHROUGH_ENV = [
  'LANG',
  'LC_ALL',
  'TZ',
  'TERM',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
];

/**
 * Runs a classic (v2) buildpack build: copies the source, applies `.slugignore`, chooses and
 * fetches buildpacks, runs detect / compile / release with the build dir at /app, overlays
 * the Procfile and writes the slug. Failures are BuildErrors; the last output line says which
 * buildpack and phase failed and why.
 */
export async function runBuild(opts: RunBuildOptions): Promise<RunBuildResult> {
  try {
    return await build(opts);
  } catch (e) {
    const err =
      e instanceof BuildError
        ? e
        : opts.signal?.aborted
          ? new BuildError('compile', 'the build was cancelled', { cause: e })
          : new BuildError('slug', `internal error: ${(e as Error).message}`, { cause: e });
    opts.output(`!     Build failed: ${err.message}`);
    throw err;
  }
}

async function build(opts: RunBuildOptions): Promise<RunBuildResult> {
  const started = performance.now();
  const timings: Record<string, number> = { fetch: 0, detect: 0, compile: 0, release: 0 };
  const time = async <T>(phase: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + Math.round(performance.now() - t);
    }
  };

  const { isolation, release: releaseAppDir } = await chooseIsolation(opts.isolation ?? 'auto');
  try {
    return await buildIn(opts, isolation, started, timings, time);
  } finally {
    await releaseAppDir?.();
  }
}

type Timer = <T>(phase: string, f: () => Promise<T>) => Promise<T>;

async function buildIn(
  opts: RunBuildOptions,
  isolation: Isolation,
  started: number,
  timings: Record<string, number>,
  time: Timer,
): Promise<RunBuildResult> {
  const out = opts.output;
  const stack = opts.stack ?? 'wharf-24';
  const hostBuildDir = isolation === 'app-dir' ? APP_DIR : path.join(opts.workDir, 'app');
  const envDir = path.join(opts.workDir, 'env');
  const home = path.join(opts.workDir, 'home');
  const bpRoot = path.join(opts.workDir, 'buildpacks');
  // a claimed /app is already empty, and may be a mount point that cannot be removed
  const scratch = isolation === 'app-dir' ? [envDir, home, bpRoot] : [hostBuildDir, envDir, home, bpRoot];
  for (const d of scratch) await rm(d, { recursive: true, force: true });
  for (const d of [hostBuildDir, envDir, home, bpRoot, opts.cacheDir, opts.buildpackCacheDir]) {
    await mkdir(d, { recursive: true });
  }
  const cacheHit = (await readdir(opts.cacheDir)).length > 0;

  await time('source', () => copySource(opts.sourceDir, hostBuildDir, opts.maxSourceBytes));
  await writeEnvDir(envDir, opts.env);
  const ignored = await applySlugignore(hostBuildDir);

  out(step(`Building ${opts.app} on the ${stack} stack`));
  if (ignored.length > 0) out(`       .slugignore removed: ${ignored.join(', ')}`);
  if (isolation === 'none') {
    out(
      warning(
        `Warning: no private mount namespace (bubblewrap or unshare) is available here, so the build runs in ${hostBuildDir}, not at /app; buildpacks that write to /app will fail.`,
      ),
    );
  }
  const ctx: PhaseContext = {
    isolation,
    hostBuildDir,
    buildDir: isolation === 'none' ? hostBuildDir : APP_DIR,
    cacheDir: opts.cacheDir,
    envDir,
    env: buildpackEnv(opts, stack, home),
    output: out,
    signal: opts.signal,
  };
  const fetchCtx: FetchContext = {
    sourceDir: opts.sourceDir,
    buildpackCacheDir: opts.buildpackCacheDir,
    allowFileProtocol: opts.allowFileProtocol ?? process.env.WHARF_GIT_ALLOW_FILE_PROTOCOL === '1',
    signal: opts.signal,
    output: out,
  };

  const choice = await chooseBuildpacks(opts.buildpacks, opts.env, hostBuildDir);
  const chosen: { bp: PreparedBuildpack; name: string }[] = [];
  if (choice.source === 'auto-detect') {
    chosen.push(await autoDetect(ctx, fetchCtx, bpRoot, time));
  } else {
    out(step(`Using buildpacks from ${choice.source}:`));
    choice.refs.forEach((r, i) => {
      out(`       ${i + 1}. ${r}`);
    });
    for (const [i, ref] of choice.refs.entries()) {
      const bp = await time('fetch', () => prepareBuildpack(ref, path.join(bpRoot, String(i)), fetchCtx));
      const name = await time('detect', () => detect(ctx, bp));
      if (name === null) {
        throw new BuildError(
          'detect',
          `buildpack ${ref} failed at detect: it does not apply to this app (bin/detect exited non-zero)`,
          { buildpack: ref },
        );
      }
      out(step(`${name} app detected`));
      chosen.push({ bp, name });
    }
  }

  const exportFiles: string[] = [];
  for (const { bp } of chosen) {
    await time('compile', () => compile(ctx, bp, exportFiles));
    const exp = path.join(bp.dir, 'export');
    if (existsSync(exp)) exportFiles.push(exp);
  }

  const releases: ReleaseInfo[] = [];
  for (const { bp } of chosen) releases.push(await time('release', () => release(ctx, bp)));
  const merged = mergeReleases(releases);
  const procfile = await readProcfile(hostBuildDir);
  const processTypes = { ...merged.processTypes, ...(procfile ?? {}) };
  out(step('Discovering process types'));
  const names = Object.keys(processTypes);
  out(
    `       ${procfile ? 'Procfile declares types' : 'Default types for buildpack'} -> ${names.join(', ') || '(none)'}`,
  );

  out(step('Compressing...'));
  const slug = await time('slug', () => createSlug(hostBuildDir, opts.slugPath, opts.signal));
  out(`       Done: ${(slug.bytes / 1024 / 1024).toFixed(1)}M`);
  timings.total = Math.round(performance.now() - started);

  const buildpacks: BuildpackInfo[] = chosen.map(({ bp, name }) => ({
    url: bp.url,
    name,
    ...(bp.commit ? { commit: bp.commit } : {}),
  }));
  return {
    slugPath: opts.slugPath,
    slugSha256: slug.sha256,
    slugBytes: slug.bytes,
    processTypes,
    configDefaults: merged.configVars,
    addons: merged.addons,
    buildpacks,
    timings,
    cacheHit,
    isolation,
  };
}

async function autoDetect(
  ctx: PhaseContext,
  fetchCtx: FetchContext,
  bpRoot: string,
  time: Timer,
): Promise<{ bp: PreparedBuildpack; name: string }> {
  const quiet: FetchContext = { ...fetchCtx, output: () => {} };
  for (const builtin of BUILTIN_ORDER) {
    const bp = await time('fetch', () =>
      prepareBuildpack(`builtin:${builtin}`, path.join(bpRoot, builtin), quiet),
    );
    const name = await time('detect', () => detect(ctx, bp));
    if (name !== null) {
      ctx.output(step(`${name} app detected`));
      return { bp, name };
    }
  }
  throw new BuildError(
    'detect',
    `no buildpack applies to this app: none of the built-in buildpacks (${BUILTIN_ORDER.join(', ')}) detected it; add a package.json or a Procfile, or name a buildpack in BUILDPACK_URL or .buildpacks`,
  );
}

async function chooseIsolation(
  mode: IsolationMode,
): Promise<{ isolation: Isolation; release?: () => Promise<void> }> {
  if (mode === 'auto') {
    const found = await detectIsolation();
    if (found !== 'none') return { isolation: found };
    const release = await claimAppDir();
    return release ? { isolation: 'app-dir', release } : { isolation: 'none' };
  }
  if (mode === 'app-dir') {
    const release = await claimAppDir();
    if (!release)
      throw new BuildError('source', '/app is not free (not empty, or another build is using it)');
    return { isolation: mode, release };
  }
  if (mode !== 'none' && !((await ensureMountPoint()) && (await probe(mode)))) {
    throw new BuildError('source', `isolation "${mode}" was asked for but does not work on this machine`);
  }
  return { isolation: mode };
}

/** ENV_DIR: one file per config var, name = key, content = value. */
async function writeEnvDir(envDir: string, env: Record<string, string>) {
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
    await writeFile(path.join(envDir, k), v);
  }
}

/** Config vars are not here: buildpacks read them from ENV_DIR. */
function buildpackEnv(opts: RunBuildOptions, stack: string, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of PASSTHROUGH_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  env.PATH = opts.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  env.LANG ??= 'C.UTF-8';
  env.HOME = home;
  env.STACK = stack;
  env.SOURCE_VERSION = opts.sourceVersion;
  env.REQUEST_ID = opts.requestId;
  return env;
}
