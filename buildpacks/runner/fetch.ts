import { existsSync } from 'node:fs';
import { chmod, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.ts';
import { run } from './exec.ts';
import { fetchGitBuildpack } from './git-fetch.ts';
import { step } from './output.ts';
import { resolveReference } from './resolve.ts';
import { fetchTarballBuildpack } from './tarball-fetch.ts';

export interface PreparedBuildpack {
  /** the reference as written (app list, BUILDPACK_URL, .buildpacks) */
  reference: string;
  /** the URL it was fetched from (a git or tarball URL, a local path, or the built-in's alias) */
  url: string;
  commit?: string;
  /** this build's private, writable copy (compile writes `export` into it) */
  dir: string;
}

export interface FetchContext {
  sourceDir: string;
  buildpackCacheDir: string;
  allowFileProtocol: boolean;
  signal?: AbortSignal;
  output: (line: string) => void;
}

/**
 * Fetches one buildpack into `dir`. Every buildpack, cached or local, runs from a copy of its
 * own: compile writes its `export` file into the buildpack dir, and concurrent builds must not
 * see each other's.
 */
export async function prepareBuildpack(
  reference: string,
  dir: string,
  ctx: FetchContext,
): Promise<PreparedBuildpack> {
  const r = resolveReference(reference, ctx.sourceDir);
  ctx.output(step(`Fetching buildpack ${reference}`));
  let prepared: PreparedBuildpack;
  switch (r.kind) {
    case 'builtin':
      await copyDir(r.path, dir);
      prepared = { reference, url: r.url, dir };
      break;
    case 'local':
      if (!existsSync(r.path) || !(await stat(r.path)).isDirectory()) {
        throw new BuildError('fetch', `buildpack ${reference} not found: ${r.path} is not a directory`, {
          buildpack: reference,
        });
      }
      await copyDir(r.path, dir);
      prepared = { reference, url: r.path, dir };
      break;
    case 'git': {
      const g = await fetchGitBuildpack({
        url: r.url,
        ref: r.ref,
        display: reference,
        cacheDir: ctx.buildpackCacheDir,
        allowFileProtocol: ctx.allowFileProtocol,
        signal: ctx.signal,
        log: ctx.output,
      });
      ctx.output(`       ${r.url} at ${g.commit.slice(0, 12)}${g.cached ? ' (cached)' : ''}`);
      await copyDir(g.dir, dir);
      prepared = { reference, url: r.ref ? `${r.url}#${r.ref}` : r.url, commit: g.commit, dir };
      break;
    }
    case 'tarball':
      if (r.url !== reference) ctx.output(`       ${r.url}`);
      await fetchTarballBuildpack(r.url, reference, dir, ctx.signal);
      prepared = { reference, url: r.url, dir };
      break;
  }
  await checkLayout(prepared);
  return prepared;
}

async function copyDir(from: string, to: string) {
  await run('cp', ['-a', from, to]);
}

async function checkLayout(bp: PreparedBuildpack) {
  for (const script of ['detect', 'compile']) {
    const p = path.join(bp.dir, 'bin', script);
    if (!existsSync(p)) {
      throw new BuildError('fetch', `buildpack ${bp.reference} has no bin/${script}: it is not a buildpack`, {
        buildpack: bp.reference,
      });
    }
  }
  // files checked out or unpacked without their mode still have to run
  for (const name of await readdir(path.join(bp.dir, 'bin'))) {
    const p = path.join(bp.dir, 'bin', name);
    const s = await stat(p);
    if (s.isFile() && (s.mode & 0o111) === 0) await chmod(p, s.mode | 0o111);
  }
}
