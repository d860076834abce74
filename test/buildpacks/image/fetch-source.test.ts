import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures.ts';

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '../../../buildpacks/codebuild/fetch-source.sh');
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: '/nonexistent',
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'protocol.file.allow=always', ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV },
  });
  return stdout.trim();
}

async function fetchSource(src: string, dest: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('bash', [SCRIPT, src, dest], {
      env: { PATH: process.env['PATH']!, ...GIT_ENV, ...env },
    });
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout.trim(), stderr: err.stderr };
  }
}

describe('fetch-source.sh with the S3 source', () => {
  it('uses an unpacked upload in place', async () => {
    const src = await tempDir('src-dir');
    await writeFile(path.join(src, 'package.json'), '{}');
    await writeFile(path.join(src, 'Procfile'), 'web: x');
    const r = await fetchSource(src, path.join(await tempDir('dest'), 'source'));
    expect(r).toMatchObject({ code: 0, stdout: src });
  });

  it('unpacks a single .tar.gz that CodeBuild left packed', async () => {
    const tree = await tempDir('tree');
    await writeFile(path.join(tree, 'index.js'), 'ok');
    const src = await tempDir('src-tgz');
    await run('tar', ['-C', tree, '-czf', path.join(src, 'upload.tar.gz'), '.']);
    const dest = path.join(await tempDir('dest'), 'source');
    const r = await fetchSource(src, dest);
    expect(r).toMatchObject({ code: 0, stdout: dest });
    expect(await readFile(path.join(dest, 'index.js'), 'utf8')).toBe('ok');
  });

  it('fails clearly when there is no source at all', async () => {
    const r = await fetchSource(await tempDir('empty'), path.join(await tempDir('dest'), 'source'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the build has no source');
  });
});

describe('fetch-source.sh with a git host push', () => {
  let repo: string;
  let v1: string;
  let subV1: string;

  beforeAll(async () => {
    const root = await tempDir('git');
    const sub = path.join(root, 'sub');
    await mkdir(sub);
    await git(sub, 'init', '-q', '-b', 'main');
    await writeFile(path.join(sub, 'lib.txt'), 'sub v1');
    await git(sub, 'add', '.');
    await git(sub, 'commit', '-q', '-m', 'sub v1');
    subV1 = await git(sub, 'rev-parse', 'HEAD');

    repo = path.join(root, 'app');
    await mkdir(repo);
    await git(repo, 'init', '-q', '-b', 'main');
    await writeFile(path.join(repo, 'app.txt'), 'v1');
    await git(repo, 'submodule', 'add', '-q', `file://${sub}`, 'vendor/sub');
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-q', '-m', 'v1');
    await git(repo, 'tag', 'v1');
    v1 = await git(repo, 'rev-parse', 'HEAD');

    await writeFile(path.join(sub, 'lib.txt'), 'sub v2');
    await git(sub, 'commit', '-q', '-am', 'sub v2');
    await git(path.join(repo, 'vendor/sub'), 'pull', '-q', 'origin', 'main');
    await writeFile(path.join(repo, 'app.txt'), 'v2');
    await git(repo, 'commit', '-q', '-am', 'v2');
  });

  const env = (ref: string) => ({
    WHARF_GIT_URL: `file://${repo}`,
    WHARF_GIT_REF: ref,
    WHARF_GIT_ALLOW_FILE_PROTOCOL: '1',
  });

  it.each([
    ['a branch', 'main', 'v2', 'sub v2'],
    ['a tag', 'v1', 'v1', 'sub v1'],
    ['a commit', 'COMMIT_V1', 'v1', 'sub v1'],
  ])('clones at %s with the submodule at that commit', async (_what, ref, app, sub) => {
    const dest = path.join(await tempDir('clone'), 'source');
    const r = await fetchSource('/nonexistent', dest, env(ref === 'COMMIT_V1' ? v1 : ref));
    expect(r.stderr).toContain('-----> Fetching');
    expect(r).toMatchObject({ code: 0, stdout: dest });
    expect(await readFile(path.join(dest, 'app.txt'), 'utf8')).toBe(app);
    expect(await readFile(path.join(dest, 'vendor/sub/lib.txt'), 'utf8')).toBe(sub);
    if (ref === 'v1') expect(await git(path.join(dest, 'vendor/sub'), 'rev-parse', 'HEAD')).toBe(subV1);
  });

  it('fails naming the ref when it does not exist', async () => {
    const r = await fetchSource(
      '/nonexistent',
      path.join(await tempDir('clone'), 'source'),
      env('no-such-branch'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has no branch, tag or commit "no-such-branch"');
  });

  it('sends a token as a header, never in the URL or the clone config', async () => {
    const dest = path.join(await tempDir('clone'), 'source');
    const r = await fetchSource('/nonexistent', dest, { ...env('main'), WHARF_GIT_TOKEN: 'tok-123' });
    expect(r.code).toBe(0);
    expect(await readFile(path.join(dest, '.git/config'), 'utf8')).not.toContain('tok-123');
    expect(r.stderr + r.stdout).not.toContain('tok-123');
  });
});
