/**
 * Faults around builds, on a real platform with continuous traffic through the router:
 * a build that fails, a build cache on a full disk, and two pushes of one app at once.
 * The release that served before must keep serving, without a failed request.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunResult, sleep, TestPlatform } from '../helpers/platform.ts';
import { describeTraffic, Traffic } from './traffic.ts';

const platform = new TestPlatform();
const APP = 'buildfaults';
let repo = '';
const concurrent: { a: RunResult; b: RunResult; servingCommit: string } = {
  a: { code: -1, stdout: '', stderr: '' },
  b: { code: -1, stdout: '', stderr: '' },
  servingCommit: '',
};

async function served(): Promise<{ release: string; greeting: string }> {
  const r = await platform.get(APP);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as { release: string; greeting: string };
}

async function commit(dir: string, message: string, file = 'README.md'): Promise<void> {
  appendFileSync(join(dir, file), `${message}\n`);
  await platform.git(['commit', '-qam', message], dir);
}

beforeAll(async () => {
  await platform.start();
  repo = await platform.appRepo('node-web');
  expect((await platform.cli(['create', APP], repo)).code).toBe(0);
  const push = await platform.git(['push', 'wharf', 'main'], repo);
  expect(push.code, push.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
});

describe('faults around builds', () => {
  it('a build that fails leaves the old release serving, with no failed request', async () => {
    const before = await served();
    const broken = mkdtempSync(join(tmpdir(), 'wharf-broken-'));
    try {
      await platform.git(['clone', '-q', repo, broken], tmpdir());
      writeFileSync(join(broken, 'package.json'), '{ "name": "broken", "engines": { "node": ">=99" } }\n');
      await platform.git(['commit', '-qam', 'break the build'], broken);
      await platform.cli(['remote', '-a', APP], broken);
      const traffic = new Traffic(platform.routerPort, APP).start();
      const push = await platform.git(['push', '--force', 'wharf', 'HEAD:main'], broken);
      await sleep(300);
      const s = await traffic.stop();
      console.log(describeTraffic('failing build', s));
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/build \S+ failed/);
      expect(s.failed).toEqual([]);
      expect(Object.keys(s.releases)).toEqual([before.release]);
      expect((await served()).release).toBe(before.release);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 120_000);

  it('a build cache on a full disk fails the build or skips the cache, and the old release keeps serving', async () => {
    const before = await served();
    const cacheDir = join(platform.dataDir, 'cache', APP);
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    let how: string;
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', cacheDir], { stdio: 'ignore' });
      mounted = true;
      // fill it to the last byte
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(cacheDir, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
      } catch {
        // dd stops with ENOSPC: that is the point
      }
      how = 'a 64 KB tmpfs mounted over the cache dir and filled up (real ENOSPC)';
    } catch {
      // no mount here (not root, or no CAP_SYS_ADMIN): every write under the cache fails instead
      rmSync(cacheDir, { recursive: true, force: true });
      symlinkSync('/dev/full', cacheDir);
      how = 'simulated: the cache dir is a link to /dev/full (mount -t tmpfs is not permitted here)';
    }
    console.log(`[fault] disk-full build cache: ${how}`);
    try {
      await commit(repo, 'build on a full cache');
      const traffic = new Traffic(platform.routerPort, APP).start();
      const push = await platform.git(['push', 'wharf', 'main'], repo);
      await sleep(300);
      const s = await traffic.stop();
      console.log(describeTraffic('disk-full build cache', s));
      const last = (await platform.client().listBuilds(APP)).at(-1)!;
      console.log(
        `[fault] the build on a full cache ${last.status}; push exited ${push.code}${
          push.code === 0
            ? ''
            : `: ${push.stderr
                .split('\n')
                .filter((l) => / !|error|ENOSPC|space/i.test(l))
                .slice(0, 3)
                .join(' | ')}`
        }`,
      );
      expect(s.failed).toEqual([]);
      const now = await served();
      if (push.code === 0) {
        expect(last.status).toBe('succeeded');
        expect(now.release).not.toBe(before.release);
      } else {
        expect(last.status).toBe('failed');
        expect(now.release).toBe(before.release);
        expect(Object.keys(s.releases)).toEqual([before.release]);
      }
    } finally {
      if (mounted) execFileSync('umount', ['-l', cacheDir]);
      rmSync(cacheDir, { recursive: true, force: true });
    }
    // the platform is fine afterwards
    expect((await platform.client().appInfo(APP)).app.name).toBe(APP);
  }, 120_000);

  it('two pushes of one app at once: one lands and serves, the other is refused before it builds, no request fails', async () => {
    const client = platform.client();
    const before = (await client.listReleases(APP)).at(-1)!.version;
    const buildsBefore = (await client.listBuilds(APP)).length;
    const other = mkdtempSync(join(tmpdir(), 'wharf-other-'));
    try {
      await platform.git(['clone', '-q', repo, other], tmpdir());
      await platform.cli(['remote', '-a', APP], other);
      await commit(repo, 'push A');
      await commit(other, 'push B');
      const traffic = new Traffic(platform.routerPort, APP).start();
      try {
        const [a, b] = await Promise.all([
          platform.git(['push', '--force', 'wharf', 'main'], repo),
          platform.git(['push', '--force', 'wharf', 'HEAD:main'], other),
        ]);
        concurrent.a = a;
        concurrent.b = b;
        await sleep(300);
      } finally {
        await traffic.stop();
      }
      const s = await traffic.stop();
      console.log(describeTraffic('two pushes at once', s));
      console.log(`[fault] push A exited ${concurrent.a.code}, push B exited ${concurrent.b.code}`);
      expect(s.failed).toEqual([]);
      const results = [concurrent.a, concurrent.b];
      const landed = results.filter((r) => r.code === 0);
      const refused = results.filter((r) => r.code !== 0);
      // git reads the branch before it sends; pushes of one app run one at a time, so the
      // second sees the branch moved and is refused, as any git server refuses it
      if (refused.length === 1) expect(refused[0]!.stderr).toContain('moved while you pushed');
      expect(landed.length).toBeGreaterThanOrEqual(1);
      const versions = (await client.listReleases(APP)).map((r) => r.version).filter((v) => v > before);
      expect(versions).toEqual(Array.from({ length: landed.length }, (_, i) => before + 1 + i));
      const builds = (await client.listBuilds(APP)).slice(buildsBefore);
      expect(builds.map((x) => x.status)).toEqual(landed.map(() => 'succeeded'));
      const info = await client.appInfo(APP);
      expect(info.currentVersion).toBe(before + landed.length);
      expect((await served()).release).toBe(`v${before + landed.length}`);
      concurrent.servingCommit = builds.at(-1)!.sourceVersion;
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 240_000);

  it('after two pushes at once, the branch head is the commit that serves', async () => {
    expect(concurrent.servingCommit).toMatch(/^[0-9a-f]{7,40}$/);
    const head = await platform.git(
      ['rev-parse', 'refs/heads/main'],
      join(platform.dataDir, 'repos', `${APP}.git`),
    );
    expect(head.stdout.trim()).toBe(concurrent.servingCommit);
  });
});
