// BUILDPACKS.md cases 8-12: git buildpacks with submodules by every kind of ref, tarballs, shorthands.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveReference, runBuild } from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  commitAll,
  extractSlug,
  git,
  gitInit,
  makeBuildpack,
  tempDir,
  writeTree,
} from './helpers.ts';

afterAll(cleanupTemp);

/**
 * A buildpack repo whose compile copies a file from its `sub` submodule into the app.
 * History: B1 (submodule at S1, tagged v1) then B2 on main (submodule moved to S2).
 */
function submoduleFixture() {
  const root = tempDir('wharf-git-');
  const sub = gitInit(writeTree(path.join(root, 'sub'), { 'helper.txt': 'v1\n' }));
  const s1 = commitAll(sub, 's1');
  const bp = gitInit(
    makeBuildpack(path.join(root, 'bp'), {
      detect: 'echo Sub',
      compile: [
        'here=$(cd "$(dirname "$0")/.." && pwd)',
        'cp "$here/sub/helper.txt" "$1/helper.txt"',
        'git -C "$here/sub" rev-parse HEAD > "$1/sub-commit"',
      ].join('\n'),
    }),
  );
  git(bp, 'submodule', 'add', '--quiet', `file://${sub}`, 'sub');
  const b1 = commitAll(bp, 'b1 with sub at s1');
  git(bp, 'tag', '-a', 'v1', '-m', 'v1');
  writeTree(sub, { 'helper.txt': 'v2\n' });
  const s2 = commitAll(sub, 's2');
  git(path.join(bp, 'sub'), 'pull', '--quiet', 'origin', 'main');
  const b2 = commitAll(bp, 'b2 with sub at s2');
  git(bp, 'branch', 'stable', b1);
  return { url: `file://${bp}`, b1, b2, s1, s2 };
}

describe('git buildpacks with submodules', { timeout: 240_000 }, () => {
  let fx: ReturnType<typeof submoduleFixture>;
  let bpCache: string;
  beforeAll(() => {
    fx = submoduleFixture();
    bpCache = tempDir('wharf-bpcache-');
  });

  /** A fresh buildpack cache unless `cache` is given, so that each ref really is cloned. */
  async function buildWith(reference: string, cache?: string) {
    const b = buildOptions(writeTree(tempDir('wharf-src-'), { a: 'a' }), {
      buildpacks: [reference],
      ...(cache ? { buildpackCacheDir: cache } : {}),
    });
    const r = await runBuild(b.opts);
    const app = extractSlug(r.slugPath);
    return {
      r,
      lines: b.lines,
      helper: readFileSync(path.join(app, 'helper.txt'), 'utf8'),
      subCommit: readFileSync(path.join(app, 'sub-commit'), 'utf8').trim(),
    };
  }

  it('case 8: no ref: the submodule file exists at the commit the default branch records', async () => {
    const { r, helper, subCommit } = await buildWith(fx.url);
    expect([helper, subCommit]).toEqual(['v2\n', fx.s2]);
    expect(r.buildpacks[0]).toEqual({ url: fx.url, name: 'Sub', commit: fx.b2 });
  });

  it('case 8: by branch: the submodule is at the commit the branch records', async () => {
    const { r, helper, subCommit } = await buildWith(`${fx.url}#stable`);
    expect([helper, subCommit]).toEqual(['v1\n', fx.s1]);
    expect(r.buildpacks[0]?.commit).toBe(fx.b1);
  });

  it('case 8 and 9: by tag #v1 when the tip has moved the submodule: the submodule is at v1s commit', async () => {
    const { r, helper, subCommit } = await buildWith(`${fx.url}#v1`);
    expect([helper, subCommit]).toEqual(['v1\n', fx.s1]);
    expect(r.buildpacks[0]?.commit).toBe(fx.b1);
  });

  it('case 9: retries in full when the shallow submodule fetch fails (a server refusing unadvertised commits)', async () => {
    const home = tempDir('wharf-home-');
    writeTree(home, { '.gitconfig': '[protocol]\n\tversion = 0\n' });
    const before = process.env.HOME;
    process.env.HOME = home;
    try {
      const { lines, helper, subCommit } = await buildWith(`${fx.url}#v1`);
      expect(lines.some((l) => l.includes('retrying with full submodule history'))).toBe(true);
      expect([helper, subCommit]).toEqual(['v1\n', fx.s1]);
    } finally {
      process.env.HOME = before;
    }
  });

  it('case 8 and 10: by commit: a full clone, detached checkout, then the submodule at that commit', async () => {
    const { r, helper, subCommit } = await buildWith(`${fx.url}#${fx.b1}`);
    expect([helper, subCommit]).toEqual(['v1\n', fx.s1]);
    expect(r.buildpacks[0]?.commit).toBe(fx.b1);
  });

  it('case 10: by abbreviated commit', async () => {
    const { r, subCommit } = await buildWith(`${fx.url}#${fx.b1.slice(0, 10)}`);
    expect(subCommit).toBe(fx.s1);
    expect(r.buildpacks[0]?.commit).toBe(fx.b1);
  });

  it('caches fetched buildpacks by (url, resolved commit)', async () => {
    const first = await buildWith(`${fx.url}#stable`, bpCache);
    expect(first.lines.some((l) => l.includes('(cached)'))).toBe(false);
    const second = await buildWith(`${fx.url}#v1`, bpCache);
    expect(second.lines.some((l) => l.includes(`at ${fx.b1.slice(0, 12)} (cached)`))).toBe(true);
    expect(second.subCommit).toBe(fx.s1);
    const third = await buildWith(`${fx.url}#main`, bpCache);
    expect(third.lines.some((l) => l.includes('(cached)'))).toBe(false);
    expect(third.subCommit).toBe(fx.s2);
  });
});

describe('case 11: tarballs', () => {
  let server: Server;
  let base: string;
  let tarball: Buffer;
  beforeAll(async () => {
    const dir = tempDir('wharf-tar-');
    const bp = makeBuildpack(path.join(dir, 'mybp-1.0'), {
      detect: 'echo Tarred',
      compile: 'echo ok > "$1/tarred"',
    });
    execFileSync('chmod', ['-R', 'a-x+X', bp]);
    expect(statSync(path.join(bp, 'bin', 'compile')).mode & 0o111).toBe(0);
    execFileSync('tar', ['-czf', path.join(dir, 'bp.tgz'), '-C', dir, 'mybp-1.0']);
    tarball = readFileSync(path.join(dir, 'bp.tgz'));
    server = createServer((req, res) => {
      if (req.url === '/bp.tgz' || req.url === '/owner/repo/tarball/v1') res.end(tarball);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads, strips the one top-level folder and makes bin/* executable (files were 0644)', async () => {
    const b = buildOptions(writeTree(tempDir(), { a: 'a' }), { buildpacks: [`${base}/bp.tgz`] });
    const r = await runBuild(b.opts);
    expect(r.buildpacks).toEqual([{ url: `${base}/bp.tgz`, name: 'Tarred' }]);
    const compile = path.join(b.opts.workDir, 'buildpacks', '0', 'bin', 'compile');
    expect(statSync(compile).mode & 0o111).toBe(0o111);
    expect(readFileSync(path.join(extractSlug(r.slugPath), 'tarred'), 'utf8')).toBe('ok\n');
  });

  it('treats a GitHub-style /tarball/<ref> URL as a tarball', async () => {
    const url = `${base}/owner/repo/tarball/v1`;
    expect(resolveReference(url)).toMatchObject({ kind: 'tarball', url });
    const r = await runBuild(buildOptions(writeTree(tempDir(), { a: 'a' }), { buildpacks: [url] }).opts);
    expect(r.buildpacks[0]?.name).toBe('Tarred');
  });
});

describe('case 12: shorthands', () => {
  it('resolves jincod/dotnetcore through the alias table to its real repository', () => {
    expect(resolveReference('jincod/dotnetcore')).toEqual({
      kind: 'git',
      url: 'https://github.com/jincod/dotnetcore-buildpack.git',
      ref: undefined,
      display: 'jincod/dotnetcore',
    });
  });

  it("resolves an unknown ns/name to Heroku's registry tarball, never a guessed GitHub URL", () => {
    expect(resolveReference('someone/thing')).toEqual({
      kind: 'tarball',
      url: 'https://buildpack-registry.s3.amazonaws.com/buildpacks/someone/thing.tgz',
      display: 'someone/thing',
    });
  });

  it('resolves heroku/nodejs to the built-in Node.js buildpack', () => {
    expect(resolveReference('heroku/nodejs')).toMatchObject({ kind: 'builtin', name: 'nodejs' });
  });

  it('classifies git URLs, refs and local paths', () => {
    expect(resolveReference('https://github.com/a/b.git#v1.2')).toMatchObject({ kind: 'git', ref: 'v1.2' });
    expect(resolveReference('git@github.com:a/b.git')).toMatchObject({
      kind: 'git',
      url: 'git@github.com:a/b.git',
    });
    expect(resolveReference('ssh://git@host/a/b#main')).toMatchObject({ kind: 'git', ref: 'main' });
    expect(resolveReference('git://host/a/b')).toMatchObject({ kind: 'git', ref: undefined });
    expect(resolveReference('https://example.com/bp.tar.gz')).toMatchObject({ kind: 'tarball' });
    expect(resolveReference('./bps/mine', '/src')).toEqual({
      kind: 'local',
      path: '/src/bps/mine',
      url: './bps/mine',
    });
    expect(resolveReference('/opt/bp')).toMatchObject({ kind: 'local', path: '/opt/bp' });
  });
});
