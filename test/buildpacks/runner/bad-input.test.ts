// Bad input: each fails the build with a BuildError naming the cause, and no slug is written.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildError, type RunBuildOptions, runBuild } from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  commitAll,
  git,
  gitInit,
  makeBuildpack,
  tempDir,
  writeTree,
} from './helpers.ts';

afterAll(cleanupTemp);

async function failure(sourceFiles: Record<string, string>, over: Partial<RunBuildOptions> = {}) {
  const b = buildOptions(writeTree(tempDir('wharf-src-'), sourceFiles), over);
  const err = await runBuild(b.opts).then(
    () => new Error('the build succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BuildError);
  expect(existsSync(b.opts.slugPath)).toBe(false);
  const last = b.lines.at(-1) ?? '';
  expect(last.startsWith('!     Build failed: ')).toBe(true);
  return { err: err as BuildError, last };
}

describe('bad input', { timeout: 240_000 }, () => {
  it('a missing buildpack', async () => {
    const { err, last } = await failure({ a: 'a' }, { buildpacks: ['/nonexistent/buildpack'] });
    expect([err.phase, err.buildpack]).toEqual(['fetch', '/nonexistent/buildpack']);
    expect(last).toContain('buildpack /nonexistent/buildpack not found');
  });

  it('a directory that is not a buildpack', async () => {
    const dir = writeTree(tempDir(), { 'README.md': 'no bin here' });
    const { err } = await failure({ a: 'a' }, { buildpacks: [dir] });
    expect(err.phase).toBe('fetch');
    expect(err.message).toContain('has no bin/detect');
  });

  it('a failing compile names the buildpack, the phase and the exit status', async () => {
    const bp = makeBuildpack(tempDir(), { compile: 'echo "-----> Doing things"; echo oops >&2; exit 3' });
    const b = buildOptions(writeTree(tempDir(), { a: 'a' }), { buildpacks: [bp] });
    const err = (await runBuild(b.opts).catch((e: unknown) => e)) as BuildError;
    expect([err.phase, err.buildpack]).toEqual(['compile', bp]);
    expect(b.lines.slice(-3)).toEqual([
      '-----> Doing things',
      '       oops',
      `!     Build failed: buildpack ${bp} failed at compile (exit status 3)`,
    ]);
  });

  it('a detect that matches nothing in auto-detect', async () => {
    const { err } = await failure({ 'main.c': 'int main() {}' });
    expect(err.phase).toBe('detect');
    expect(err.message).toContain('no buildpack applies to this app');
  });

  it('a .buildpacks with an unreachable URL', async () => {
    const { err, last } = await failure({ '.buildpacks': 'https://127.0.0.1:1/nobody/bp.git\n' });
    expect([err.phase, err.buildpack]).toEqual(['fetch', 'https://127.0.0.1:1/nobody/bp.git']);
    expect(last).toContain('could not fetch buildpack https://127.0.0.1:1/nobody/bp.git');
  });

  it('an unreachable tarball URL', async () => {
    const { err } = await failure({ a: 'a' }, { buildpacks: ['http://127.0.0.1:1/bp.tgz'] });
    expect(err.phase).toBe('fetch');
    expect(err.message).toContain('unreachable');
  });

  it('a git ref that does not exist', async () => {
    const bp = gitInit(makeBuildpack(tempDir(), {}));
    commitAll(bp, 'init');
    const { err } = await failure({ a: 'a' }, { buildpacks: [`file://${bp}#no-such-branch`] });
    expect(err.message).toContain('no branch, tag or commit named "no-such-branch"');
  });

  it('a submodule that cannot be fetched', async () => {
    const sub = gitInit(writeTree(tempDir(), { f: 'x' }));
    commitAll(sub, 'sub');
    const bp = gitInit(makeBuildpack(tempDir(), {}));
    git(bp, 'submodule', 'add', '--quiet', `file://${sub}`, 'helpers');
    git(bp, 'config', '-f', '.gitmodules', 'submodule.helpers.url', `file://${sub}-gone`);
    commitAll(bp, 'with a submodule whose url is gone');
    const { err } = await failure({ a: 'a' }, { buildpacks: [`file://${bp}`] });
    expect(err.phase).toBe('fetch');
    expect(err.message).toContain('-gone');
  });

  it('file:// submodules are refused unless allowed (the default, as git >= 2.38 does)', async () => {
    const sub = gitInit(writeTree(tempDir(), { f: 'x' }));
    commitAll(sub, 'sub');
    const bp = gitInit(makeBuildpack(tempDir(), {}));
    git(bp, 'submodule', 'add', '--quiet', `file://${sub}`, 'helpers');
    commitAll(bp, 'with a file:// submodule');
    const { err } = await failure({ a: 'a' }, { buildpacks: [`file://${bp}`], allowFileProtocol: false });
    expect(err.phase).toBe('fetch');
  });

  it('a malformed Procfile fails with the line number', async () => {
    const { err, last } = await failure({
      Procfile: '# processes\nweb: node server.js\nworker node worker.js\n',
    });
    expect(err.phase).toBe('procfile');
    expect(last).toContain('Procfile line 3 is malformed');
  });

  it('an oversized source', async () => {
    const { err } = await failure(
      { big: 'x'.repeat(4096), Procfile: 'web: true\n' },
      { maxSourceBytes: 1024 },
    );
    expect(err.phase).toBe('source');
    expect(err.message).toContain('larger than the limit of 1 KB');
  });

  it('invalid release YAML', async () => {
    const bp = makeBuildpack(tempDir(), { release: 'echo "default_process_types: [a, b]"' });
    const { err } = await failure({ a: 'a' }, { buildpacks: [bp] });
    expect(err.phase).toBe('release');
    expect(err.message).toContain('default_process_types must be a mapping');
  });

  it('BUILDPACK_URL naming heroku-buildpack-multi without a .buildpacks file', async () => {
    const { err } = await failure(
      { a: 'a' },
      { env: { BUILDPACK_URL: 'https://github.com/heroku/heroku-buildpack-multi.git' } },
    );
    expect(err.message).toContain('no `.buildpacks` file');
  });

  it('a cancelled build stops its buildpack processes', async () => {
    const pidFile = path.join(tempDir(), 'pid');
    const bp = makeBuildpack(tempDir(), {
      compile: 'echo $$ > "$(cat "$3/PIDFILE")"; echo started; sleep 60',
    });
    const controller = new AbortController();
    const b = buildOptions(writeTree(tempDir(), { a: 'a' }), {
      buildpacks: [bp],
      env: { PIDFILE: pidFile },
      signal: controller.signal,
    });
    const output = b.opts.output;
    b.opts.output = (l) => {
      output(l);
      if (l.includes('started')) controller.abort();
    };
    const err = (await runBuild(b.opts).catch((e: unknown) => e)) as BuildError;
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toBe('the build was cancelled');
    const pid = readFileSync(pidFile, 'utf8').trim();
    // gone, or a zombie waiting for init to reap it
    for (let i = 0; i < 50 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isRunning(pid)).toBe(false);
  });

  it('leaves the source untouched', async () => {
    const src = writeTree(tempDir(), { Procfile: 'web: true\n', '.slugignore': 'junk\n', junk: 'j' });
    const bp = makeBuildpack(tempDir(), { compile: 'rm -f "$1/Procfile"; echo x > "$1/new"' });
    await runBuild(buildOptions(src, { buildpacks: [bp] }).opts);
    expect(existsSync(path.join(src, 'junk'))).toBe(true);
    expect(existsSync(path.join(src, 'Procfile'))).toBe(true);
    expect(existsSync(path.join(src, 'new'))).toBe(false);
  });
});

function isRunning(pid: string): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
