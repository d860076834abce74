import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Instance } from '../../core/domain.ts';
import type { InstanceRecord } from '../../adapters/local/supervisor/state-file.ts';
import { type Fixture, isAlive, makeFixture, NODE, waitFor, waitServing } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures: Fixture[] = [];
const strayGroups: number[] = [];
afterEach(async () => {
  for (const pgid of strayGroups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await Promise.all(fixtures.splice(0).map((f) => f.cleanup()));
});

function fixture(): Fixture {
  const f = makeFixture();
  fixtures.push(f);
  return f;
}

function procStat(pid: number): { pgid: number; startTime: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pgid: Number(fields[2]), startTime: fields[19]! };
  } catch {
    return null;
  }
}

/** Every live process of a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => procStat(pid)?.pgid === pgid && isAlive(pid));
}

function writeState(f: Fixture, records: InstanceRecord[]): void {
  mkdirSync(dirname(f.supervisor.stateFilePath), { recursive: true });
  writeFileSync(f.supervisor.stateFilePath, JSON.stringify({ version: 1, instances: records }));
}

function record(id: string, pid: number, startTime: string | null): InstanceRecord {
  return {
    id,
    pid,
    pgid: pid,
    startTime,
    startedAt: new Date().toISOString(),
    port: 1,
    spec: {
      app: 'shop',
      processType: 'web',
      releaseVersion: 1,
      command: 'sleep',
      env: {},
      artifactUri: null,
    },
  };
}

/** A `bash -c SCRIPT` in a group of its own that prints one pid; resolves with bash's pid and that pid. */
async function startGroup(
  script: string,
  env: Record<string, string> = {},
): Promise<{ leader: number; child: number }> {
  const bash = spawn('bash', ['-c', script], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  strayGroups.push(bash.pid!);
  const [line] = await once(createInterface({ input: bash.stdout! }), 'line');
  return { leader: bash.pid!, child: Number(line) };
}

describe('Supervisor.reapOrphans', () => {
  it('after the platform is killed with SIGKILL, a new supervisor stops every process it left, and only those', async () => {
    const f = fixture();
    const command = `sleep 300 & exec "${NODE}" server.mjs`;
    const platform = spawn(NODE, [join(here, 'platform-child.ts'), f.dataDir, f.slugDir, '3', command], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = await once(createInterface({ input: platform.stdout! }), 'line');
    const instances = JSON.parse(line) as Instance[];
    expect(instances).toHaveLength(3);
    for (const instance of instances) {
      strayGroups.push(instance.pid!);
      await waitServing(instance.port);
    }
    const members = await waitFor('each instance and its child', () => {
      const all = instances.map((i) => groupMembers(i.pid!));
      return all.every((m) => m.length === 2) ? all.flat() : null;
    });

    platform.kill('SIGKILL');
    await once(platform, 'exit');
    // the platform is gone; its instances are not
    for (const pid of members) expect(isAlive(pid)).toBe(true);

    expect(await f.supervisor.reapOrphans()).toBe(3);
    for (const pid of members) expect(isAlive(pid)).toBe(false);
    expect(JSON.parse(readFileSync(f.supervisor.stateFilePath, 'utf8')).instances).toEqual([]);
    const notes = (await f.logs.query('shop', { source: 'platform' })).map((l) => l.text);
    for (const instance of instances) {
      expect(notes).toContain(
        `${instance.id} was left running by an earlier platform (pid ${instance.pid}); stopped it`,
      );
    }
    // nothing is left to reap a second time
    expect(await f.supervisor.reapOrphans()).toBe(0);
  });

  it('never kills a process whose pid was recycled (another start time), and does kill the recorded one', async () => {
    const f = fixture();
    expect(await f.supervisor.reapOrphans()).toBe(0); // no state file yet
    const { leader } = await startGroup('echo $$; exec sleep 300');
    const real = procStat(leader)!;

    writeState(f, [record('web.0badc0de', leader, String(Number(real.startTime) - 1))]);
    expect(await f.supervisor.reapOrphans()).toBe(0);
    expect(isAlive(leader)).toBe(true);
    expect(JSON.parse(readFileSync(f.supervisor.stateFilePath, 'utf8')).instances).toEqual([]);

    writeState(f, [record('web.0badc0de', leader, real.startTime)]);
    expect(await f.supervisor.reapOrphans()).toBe(1);
    expect(isAlive(leader)).toBe(false);
  });

  it('finds the survivors of a group whose leader died by their WHARF_INSTANCE_ID, and leaves strangers alone', async () => {
    const f = fixture();
    // the leader (bash) exits at once; its sleep stays behind in the leader's group
    const ours = await startGroup('sleep 300 & echo $!', { WHARF_INSTANCE_ID: 'web.cafef00d' });
    const stranger = await startGroup('sleep 300 & echo $!');
    await waitFor('both leaders to exit', () => !isAlive(ours.leader) && !isAlive(stranger.leader));
    expect(groupMembers(ours.leader)).toEqual([ours.child]);

    writeState(f, [record('web.cafef00d', ours.leader, '1'), record('web.5742a63e', stranger.leader, '1')]);
    expect(await f.supervisor.reapOrphans()).toBe(1);
    expect(isAlive(ours.child)).toBe(false);
    expect(isAlive(stranger.child)).toBe(true);
  });
});
