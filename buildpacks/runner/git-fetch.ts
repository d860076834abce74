import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.ts';
import { exec, run } from './exec.ts';

export interface GitFetchOptions {
  url: string;
  ref: string | undefined;
  /** the reference as the user wrote it, for messages */
  display: string;
  cacheDir: string;
  allowFileProtocol: boolean;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface GitFetchResult {
  dir: string;
  commit: string;
  cached: boolean;
}

/**
 * Environment for every git command: never prompt (a private URL fails instead of hanging),
 * no inherited GIT_DIR, and file:// submodules only when asked (git >= 2.38 refuses them).
 */
export function gitEnv(allowFileProtocol: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  env.GIT_TERMINAL_PROMPT = '0';
  // a deploy key set up by the operator still applies; otherwise ssh must not ask either
  env.GIT_SSH_COMMAND = process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes';
  if (allowFileProtocol) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'protocol.file.allow';
    env.GIT_CONFIG_VALUE_0 = 'always';
  }
  return env;
}

type RefKind = { kind: 'default' | 'branch' | 'tag'; commit: string } | { kind: 'commit'; commit?: string };

/** Asks the remote what the ref is and which commit it names, without cloning. */
export async function resolveRemoteRef(
  url: string,
  ref: string | undefined,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<RefKind> {
  const r = await exec('git', ['ls-remote', url], { env, signal, captureStdout: true });
  if (r.code !== 0) {
    throw new Error(`git ls-remote failed (${r.tail.slice(-3).join(' ').trim() || `exit ${r.code}`})`);
  }
  const refs = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) refs.set(name, sha);
  }
  if (ref === undefined) {
    const head = refs.get('HEAD');
    if (!head) throw new Error('the repository has no HEAD (is it empty?)');
    return { kind: 'default', commit: head };
  }
  const peeled = refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`);
  if (peeled) return { kind: 'tag', commit: peeled };
  const branch = refs.get(`refs/heads/${ref}`);
  if (branch) return { kind: 'branch', commit: branch };
  if (/^[0-9a-f]{7,40}$/i.test(ref)) {
    return ref.length === 40 ? { kind: 'commit', commit: ref.toLowerCase() } : { kind: 'commit' };
  }
  throw new Error(`no branch, tag or commit named "${ref}" in the repository`);
}

/**
 * Clones a buildpack so that its submodules are at the commits the ref records, caching the
 * result by (url, resolved commit). Branches and tags: a shallow clone with shallow
 * submodules, retried with full submodules (a submodule commit that is not at its branch's
 * tip cannot always be fetched shallowly). Commits: `--branch` cannot name them, so clone
 * without checkout, check the commit out detached, then update submodules.
 */
export async function fetchGitBuildpack(o: GitFetchOptions): Promise<GitFetchResult> {
  const env = gitEnv(o.allowFileProtocol);
  const fail = (why: string, cause?: unknown) =>
    new BuildError('fetch', `could not fetch buildpack ${o.display}: ${why}`, {
      buildpack: o.display,
      cause,
    });
  let target: RefKind;
  try {
    target = await resolveRemoteRef(o.url, o.ref, env, o.signal);
  } catch (e) {
    throw fail((e as Error).message, e);
  }
  const root = path.join(o.cacheDir, 'git', createHash('sha256').update(o.url).digest('hex').slice(0, 16));
  if (target.commit) {
    const dir = path.join(root, target.commit);
    // a cache entry appears only by renaming a complete clone into place
    if (existsSync(dir)) return { dir, commit: target.commit, cached: true };
  }
  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `tmp-${randomBytes(6).toString('hex')}`);
  try {
    if (target.kind === 'commit') {
      await cloneCommit(o, tmp, env);
    } else {
      await cloneShallow(o, tmp, env, target.kind === 'default' ? undefined : o.ref);
    }
    await verifySubmodules(tmp, env, o.signal);
    const commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: tmp, env })).stdout.trim();
    const dir = path.join(root, commit);
    try {
      await rename(tmp, dir);
    } catch (e) {
      // another build cached the same commit first: use theirs
      if (!existsSync(dir)) throw e;
      await rm(tmp, { recursive: true, force: true });
    }
    return { dir, commit, cached: false };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof BuildError) throw e;
    throw fail((e as Error).message, e);
  }
}

async function cloneShallow(
  o: GitFetchOptions,
  dir: string,
  env: NodeJS.ProcessEnv,
  ref: string | undefined,
) {
  const branch = ref === undefined ? [] : ['--branch', ref];
  const args = ['clone', '--quiet', '--depth', '1', ...branch, '--recurse-submodules'];
  const first = await exec('git', [...args, '--shallow-submodules', o.url, dir], { env, signal: o.signal });
  if (first.code === 0) return;
  o.log(`       Shallow submodule fetch failed; retrying with full submodule history`);
  await rm(dir, { recursive: true, force: true });
  await run('git', [...args, o.url, dir], { env, signal: o.signal });
}

async function cloneCommit(o: GitFetchOptions, dir: string, env: NodeJS.ProcessEnv) {
  const ref = o.ref!;
  await run('git', ['clone', '--quiet', '--no-checkout', o.url, dir], { env, signal: o.signal });
  await run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', ref], {
    cwd: dir,
    env,
    signal: o.signal,
  });
  await run('git', ['submodule', 'update', '--quiet', '--init', '--recursive'], {
    cwd: dir,
    env,
    signal: o.signal,
  });
}

/** `-` = a submodule not checked out, `+` = checked out at another commit than recorded. */
async function verifySubmodules(dir: string, env: NodeJS.ProcessEnv, signal?: AbortSignal) {
  const { stdout } = await run('git', ['submodule', 'status', '--recursive'], { cwd: dir, env, signal });
  const bad = stdout.split('\n').filter((l) => l.startsWith('-') || l.startsWith('+'));
  if (bad.length > 0) {
    const names = bad.map((l) => l.slice(1).split(' ')[1]).join(', ');
    throw new Error(
      `submodule(s) ${names} not at the commit the buildpack records (git submodule status: ${bad.join('; ')})`,
    );
  }
}
