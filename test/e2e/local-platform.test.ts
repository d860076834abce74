/**
 * The whole local flow, for real: `wharf up` as a process, the CLI, `git push`, the
 * buildpack build, the supervisor, the router. One platform is shared by the steps of
 * this file, in order, because each builds on the last (as a user's session would).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, httpGet, processesUnder, ROOT, sleep, TestPlatform } from '../helpers/platform.ts';

const platform = new TestPlatform();
let repo = '';
const APP = 'hello';

interface Served {
  release: string;
  instance: string;
  greeting: string;
}

async function served(): Promise<Served> {
  const r = await platform.get(APP);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as Served;
}

beforeAll(async () => {
  await platform.start();
  repo = await platform.appRepo('node-web');
}, 60_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
});

describe('local platform end to end', () => {
  it('creates an app, takes a git push, builds, and serves it through the router', async () => {
    const created = await platform.cli(['create', APP], repo);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain('git remote wharf added');
    const push = await platform.git(['push', 'wharf', 'main'], repo);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toContain('-----> Node.js app detected');
    for (const stage of ['receive', 'build', 'release', 'start', 'health'])
      expect(push.stderr).toMatch(new RegExp(`remote:\\s+${stage}\\s+[\\d.]+ m?s`));
    const body = await served();
    expect(body).toMatchObject({ release: 'v1', greeting: 'Hello from Wharf' });
  });

  it('scales web to 3 and the router reaches all three', async () => {
    const r = await platform.cli(['scale', 'web=3', '-a', APP]);
    expect(r.code, r.stderr).toBe(0);
    const ps = JSON.parse((await platform.cli(['ps', '--json', '-a', APP])).stdout) as Array<{
      processType: string;
      state: string;
    }>;
    expect(ps.filter((i) => i.processType === 'web')).toHaveLength(3);
    const seen = await eventually(
      async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 12; i++) ids.add((await served()).instance);
        return ids.size === 3 ? ids : undefined;
      },
      20_000,
      'requests to reach all three web instances',
    );
    expect(seen.size).toBe(3);
  });

  it('env set makes a new release that serves, with zero failed requests during the redeploy', async () => {
    let ok = 0;
    let failed = 0;
    let running = true;
    const traffic = (async () => {
      while (running) {
        try {
          const r = await platform.get(APP);
          if (r.status === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    })();
    const r = await platform.cli(['env', 'set', 'GREETING=Ahoy', '-a', APP]);
    running = false;
    await traffic;
    console.log(`redeploy under traffic: ${ok} requests ok, ${failed} failed`);
    expect(r.code, r.stderr).toBe(0);
    expect(ok).toBeGreaterThan(10);
    expect(failed).toBe(0);
    expect(await served()).toMatchObject({ release: 'v2', greeting: 'Ahoy' });
  });

  it('rollback serves the previous release again', async () => {
    const r = await platform.cli(['release', 'rollback', '-a', APP]);
    expect(r.code, r.stderr).toBe(0);
    const body = await served();
    expect(body.greeting).toBe('Hello from Wharf');
    expect(body.release).toBe('v3');
    const releases = JSON.parse(
      (await platform.cli(['release', 'list', '--json', '-a', APP])).stdout,
    ) as Array<{ version: number; description: string }>;
    expect(releases.at(-1)).toMatchObject({ version: 3, description: 'Rollback to v1' });
  });

  it('log shows the app’s own stdout lines labelled by instance', async () => {
    await served();
    const r = await platform.cli(['log', '-n', '200', '-p', 'web', '--json', '-a', APP]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; instance: string; text: string });
    const own = lines.filter((l) => /GET \/ served by web[-.]/.test(l.text));
    expect(own.length).toBeGreaterThan(0);
    for (const l of own) expect(l.text).toContain(l.instance);
  });

  it('run starts a one-off instance of the current release, streams its output and passes its exit code', async () => {
    const r = await platform.cli(['run', '-a', APP, '--', 'echo from-run $WHARF_RELEASE $WHARF_APP; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('from-run v3 hello');
  });

  it('a kill -9 of an instance is followed by a restart and service', async () => {
    const ps = JSON.parse((await platform.cli(['ps', '--json', '-a', APP])).stdout) as Array<{
      id: string;
      pid: number;
      processType: string;
    }>;
    const victim = ps.find((i) => i.processType === 'web')!;
    process.kill(victim.pid, 'SIGKILL');
    const restarted = await eventually(
      async () => {
        const now = JSON.parse((await platform.cli(['ps', '--json', '-a', APP])).stdout) as Array<{
          id: string;
          pid: number;
          restarts: number;
          state: string;
        }>;
        const same = now.find((i) => i.id === victim.id);
        return same && same.restarts >= 1 && same.pid !== victim.pid && same.state === 'up'
          ? same
          : undefined;
      },
      20_000,
      'the killed instance to restart',
    );
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);
    expect((await served()).release).toBe('v3');
  });

  it('stopping and starting the platform serves the same release again, with no orphan processes', async () => {
    await platform.stop();
    await sleep(200);
    expect(processesUnder(join(platform.dataDir, 'slugs'))).toEqual([]);
    await platform.start();
    const body = await eventually(
      async () => {
        const r = await platform.get(APP);
        return r.status === 200 ? (JSON.parse(r.body) as Served) : undefined;
      },
      30_000,
      'the app to serve after a restart',
    );
    expect(body.release).toBe('v3');
    const ps = JSON.parse((await platform.cli(['ps', '--json', '-a', APP])).stdout) as Array<{ pid: number }>;
    expect(ps).toHaveLength(3); // web=3; the worker was never scaled up
    expect(processesUnder(join(platform.dataDir, 'slugs')).length).toBeGreaterThanOrEqual(ps.length);
  });

  it('a push whose build fails exits nonzero while the old release still serves', async () => {
    writeFileSync(join(repo, 'package.json'), '{ "name": "broken", "engines": { "node": ">=99" } }\n');
    await platform.git(['commit', '-qam', 'break the build'], repo);
    expect((await platform.cli(['remote', '-a', APP], repo)).code).toBe(0); // the API port changed on restart
    const push = await platform.git(['push', 'wharf', 'main'], repo);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('engines.node');
    expect(push.stderr).toMatch(/build \S+ failed/);
    expect((await served()).release).toBe('v3');
    const builds = JSON.parse((await platform.cli(['builds', '--json', '-a', APP])).stdout) as Array<{
      status: string;
    }>;
    expect(builds.at(-1)!.status).toBe('failed');
  });

  it('twenty parallel env set calls give twenty consecutive release numbers', async () => {
    await platform.cli(['scale', 'web=0', '-a', APP]);
    const client = platform.client();
    const before = (await client.listReleases(APP)).at(-1)!.version;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.changeEnv(APP, { set: { [`PARALLEL_${i}`]: String(i) } })),
    );
    const versions = results.map((r) => r.release.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    const env = await client.getEnv(APP);
    for (let i = 0; i < 20; i++) expect(env[`PARALLEL_${i}`]).toBe(String(i));
  });

  it('the router answers 404 naming an unknown host', async () => {
    const r = await httpGet(platform.routerPort, 'nosuchapp.localhost');
    expect(r.status).toBe(404);
    expect(r.body).toContain('nosuchapp.localhost');
  });

  it('deploy uploads `git archive HEAD` and serves it without a push', async () => {
    writeFileSync(join(repo, 'package.json'), readFileSync(join(ROOT, 'examples/node-web/package.json')));
    await platform.git(['commit', '-qam', 'fix the build'], repo);
    await platform.cli(['scale', 'web=1', '-a', APP]);
    const r = await platform.cli(['deploy', '-a', APP], repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('-----> Deployed');
    const last = (await platform.client().listReleases(APP)).at(-1)!;
    expect(last.description).toMatch(/^Deploy [0-9a-f]{7}/);
    expect((await served()).release).toBe(`v${last.version}`);
    const events = await platform.cli(['events', '--json', '-a', APP]);
    expect(events.stdout).toContain('"deploy.complete"');
  });
});
