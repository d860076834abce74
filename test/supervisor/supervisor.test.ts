import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Instance } from '../../core/domain.ts';
import { NotFoundError } from '../../core/errors.ts';
import { SupervisorClosedError } from '../../adapters/local/supervisor/supervisor.ts';
import { type Fixture, isAlive, logLines, makeFixture, NODE, spec, waitFor, waitServing } from './helpers.ts';

const fixtures: Fixture[] = [];
function fixture(...args: Parameters<typeof makeFixture>): Fixture {
  const f = makeFixture(...args);
  fixtures.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.cleanup()));
});

function statesOf(changes: Instance[], id: string): string[] {
  return changes.filter((c) => c.id === id).map((c) => c.state);
}

describe('Supervisor', () => {
  it('starts an instance on its own PORT in the slug dir with the platform env, the release env and its id', async () => {
    const f = fixture();
    const instance = await f.supervisor.start(spec(f));
    expect(instance).toMatchObject({ app: 'shop', processType: 'web', releaseVersion: 3, state: 'starting' });
    expect(instance.id).toMatch(/^web\.[0-9a-f]{8}$/);
    expect(instance.host).toBe('127.0.0.1');

    const body = await waitServing(instance.port);
    expect(body).toEqual({
      instance: instance.id,
      port: String(instance.port),
      pid: instance.pid,
      cwd: f.slugDir,
      greeting: 'hello',
      path: process.env.PATH,
      app: 'shop',
      release: '3',
      type: 'web',
    });
    expect(await f.supervisor.list('shop')).toEqual([expect.objectContaining({ id: instance.id })]);
    expect(await f.supervisor.list('other')).toEqual([]);

    // each output line is logged with its instance, process type and stream
    const lines = await waitFor('both output lines', async () => {
      const all = await logLines(f);
      return all.some((l) => l.stream === 'stderr') ? all : null;
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        source: 'web',
        instance: instance.id,
        stream: 'stdout',
        text: `listening on ${instance.port}`,
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        source: 'web',
        instance: instance.id,
        stream: 'stderr',
        text: 'a warning on stderr',
      }),
    );

    const record = JSON.parse(readFileSync(f.supervisor.stateFilePath, 'utf8'));
    expect(record.instances).toEqual([
      expect.objectContaining({
        id: instance.id,
        pid: instance.pid,
        pgid: instance.pid,
        port: instance.port,
      }),
    ]);
    expect(record.instances[0].startTime).toMatch(/^\d+$/);

    f.supervisor.setHealth(instance.id, true);
    expect((await f.supervisor.list())[0]?.state).toBe('up');

    await f.supervisor.stop(instance.id);
    expect(isAlive(instance.pid!)).toBe(false);
    expect(await f.supervisor.list()).toEqual([]);
    expect(statesOf(f.changes, instance.id)).toEqual(['starting', 'up', 'stopping', 'down']);
    expect(JSON.parse(readFileSync(f.supervisor.stateFilePath, 'utf8')).instances).toEqual([]);
    const platform = (await f.logs.query('shop', { source: 'platform' })).map((l) => l.text);
    expect(platform).toEqual([
      `${instance.id} starting \`exec "${NODE}" server.mjs\` on port ${instance.port} (release v3)`,
      `${instance.id} stopped (status 143)`,
    ]);
    // stopping what is already gone is not an error
    await f.supervisor.stop(instance.id);
  });

  it('restarts a killed instance in place with exponential backoff, and serves again', async () => {
    const f = fixture();
    const instance = await f.supervisor.start(spec(f));
    await waitServing(instance.port);

    process.kill(instance.pid!, 'SIGKILL');
    const crashed = await waitFor('the crash', () => f.changes.find((c) => c.state === 'crashed'));
    expect(crashed).toMatchObject({ id: instance.id, exitStatus: 137, restarts: 0 });
    const restarted = await waitFor('the restart', () =>
      f.changes.find((c) => c.state === 'starting' && c.restarts === 1),
    );
    expect(restarted.id).toBe(instance.id);
    expect(restarted.pid).not.toBe(instance.pid);
    const body = await waitServing(restarted.port);
    expect(body.instance).toBe(instance.id);
    expect(body.pid).toBe(restarted.pid);

    // a second crash waits twice as long
    process.kill(restarted.pid!, 'SIGKILL');
    await waitFor('the second restart', () =>
      f.changes.find((c) => c.state === 'starting' && c.restarts === 2),
    );
    const platform = (await f.logs.query('shop', { source: 'platform', instance: instance.id })).map(
      (l) => l.text,
    );
    expect(platform).toContain(`${instance.id} exited with status 137; restarting in 100ms`);
    expect(platform).toContain(`${instance.id} exited with status 137; restarting in 200ms`);
    expect((await f.supervisor.list())[0]).toMatchObject({ id: instance.id, restarts: 2 });
  });

  it('restarts on request with the same id', async () => {
    const f = fixture();
    const instance = await f.supervisor.start(spec(f));
    await waitServing(instance.port);
    await f.supervisor.restart(instance.id);
    const [after] = await f.supervisor.list();
    expect(after).toMatchObject({ id: instance.id, restarts: 1, state: 'starting' });
    expect(after!.pid).not.toBe(instance.pid);
    expect(isAlive(instance.pid!)).toBe(false);
    expect((await waitServing(after!.port)).pid).toBe(after!.pid);
    await expect(f.supervisor.restart('web.00000000')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sends SIGTERM on stop, and SIGKILL to a process that ignores it once the grace is over', async () => {
    const f = fixture();
    const stubborn = `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); console.log('ready')`;
    const instance = await f.supervisor.start(spec(f, { command: `exec "${NODE}" -e "${stubborn}"` }));
    await waitFor('ready', async () => (await logLines(f)).some((l) => l.text === 'ready'));

    await f.supervisor.stop(instance.id, 300);
    expect(isAlive(instance.pid!)).toBe(false);
    const texts = await waitFor('the SIGTERM line', async () => {
      const all = (await logLines(f)).map((l) => l.text);
      return all.includes('ignoring SIGTERM') ? all : null;
    });
    expect(texts).toContain('ignoring SIGTERM');
    const down = f.changes.find((c) => c.state === 'down');
    expect(down).toMatchObject({ id: instance.id, exitStatus: 137 });
  });

  it('stops the whole process tree, including a child that ignores SIGTERM', async () => {
    const f = fixture();
    const command = `bash -c 'trap "" TERM; sleep 300' & echo "child=$!"; sleep 300 & echo "child=$!"; exec "${NODE}" server.mjs`;
    const instance = await f.supervisor.start(spec(f, { command }));
    await waitServing(instance.port);
    const children = await waitFor('two children', async () => {
      const found = (await logLines(f)).filter((l) => l.text.startsWith('child='));
      return found.length === 2 ? found.map((l) => Number(l.text.slice(6))) : null;
    });
    for (const pid of children) expect(isAlive(pid)).toBe(true);

    await f.supervisor.stop(instance.id, 400);
    for (const pid of [instance.pid!, ...children]) expect(isAlive(pid)).toBe(false);
  });

  it('runs a one-off with piped stdin, streams its output, lists it while it runs, and passes its exit status', async () => {
    const f = fixture();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    async function* input() {
      yield Buffer.from('hello\n');
    }
    const seenWhileRunning: Instance[] = [];
    f.supervisor.onChange((i) => {
      if (i.state === 'up') void f.supervisor.list().then((all) => seenWhileRunning.push(...all));
    });
    const result = await f.supervisor.runOneOff(
      spec(f, { processType: 'run', command: 'echo out; echo err >&2; read line; echo "got:$line"; exit 3' }),
      { stdout: (c) => stdout.push(c), stderr: (c) => stderr.push(c), stdin: input() },
    );
    expect(result).toEqual({ exitStatus: 3, signal: null });
    expect(Buffer.concat(stdout).toString()).toBe('out\ngot:hello\n');
    expect(Buffer.concat(stderr).toString()).toBe('err\n');
    expect(seenWhileRunning).toEqual([expect.objectContaining({ oneOff: true, processType: 'run' })]);
    expect(seenWhileRunning[0]!.id).toMatch(/^run\.[0-9a-f]{8}$/);
    expect(await f.supervisor.list()).toEqual([]);
    const logged = (await f.logs.query('shop', { source: 'run' })).map((l) => l.text);
    expect(logged).toEqual(expect.arrayContaining(['out', 'err', 'got:hello']));
    // no crash restart for a one-off
    expect(f.changes.some((c) => c.state === 'crashed')).toBe(false);
  });

  it('gives a one-off end of file on stdin when there is no input, and reports a signal', async () => {
    const f = fixture();
    const out: Buffer[] = [];
    const quiet = await f.supervisor.runOneOff(spec(f, { processType: 'run', command: 'cat; echo done' }), {
      stdout: (c) => out.push(c),
      stderr: () => {},
    });
    expect(quiet.exitStatus).toBe(0);
    expect(Buffer.concat(out).toString()).toBe('done\n');
    const killed = await f.supervisor.runOneOff(spec(f, { processType: 'run', command: 'kill -9 $$' }), {
      stdout: () => {},
      stderr: () => {},
    });
    expect(killed).toEqual({ exitStatus: 137, signal: 'SIGKILL' });
  });

  it('keeps a crashing command in backoff, and stops it cleanly while it waits', async () => {
    const f = fixture();
    const instance = await f.supervisor.start(spec(f, { command: 'exit 1' }));
    await waitFor('two restarts', () => f.changes.find((c) => c.restarts === 2));
    await f.supervisor.stop(instance.id);
    const count = f.changes.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(f.changes.length).toBe(count);
    expect(await f.supervisor.list()).toEqual([]);
    const platform = (await f.logs.query('shop', { source: 'platform' })).map((l) => l.text);
    expect(platform).toContain(`${instance.id} exited with status 1; restarting in 100ms`);
  });

  it('refuses an artifact it cannot resolve, and starts after shutdown are refused', async () => {
    const f = fixture({
      resolveArtifact: async (uri) => {
        throw new Error(`no such slug ${uri}`);
      },
    });
    await expect(f.supervisor.start(spec(f))).rejects.toThrow(/could not be found; push the app again/);
    await f.supervisor.shutdown();
    await expect(f.supervisor.start(spec(f, { artifactUri: null }))).rejects.toBeInstanceOf(
      SupervisorClosedError,
    );
  });

  it('shuts down every instance', async () => {
    const f = fixture();
    const started = await Promise.all([1, 2, 3].map(() => f.supervisor.start(spec(f))));
    expect(new Set(started.map((i) => i.port)).size).toBe(3);
    await Promise.all(started.map((i) => waitServing(i.port)));
    await f.supervisor.shutdown();
    for (const instance of started) expect(isAlive(instance.pid!)).toBe(false);
    expect(await f.supervisor.list()).toEqual([]);
  });

  it('signals every instance at once when the platform exits without a shutdown, and restarts none', async () => {
    const f = fixture();
    const started = await Promise.all([1, 2].map(() => f.supervisor.start(spec(f))));
    await Promise.all(started.map((i) => waitServing(i.port)));
    f.supervisor.killAllNow('SIGKILL');
    await waitFor('both to die', () => started.every((i) => !isAlive(i.pid!)));
    await waitFor('both crashes seen', () => f.changes.filter((c) => c.state === 'crashed').length === 2);
    await new Promise((r) => setTimeout(r, 300)); // past the 100 ms backoff
    expect(f.changes.some((c) => c.restarts > 0)).toBe(false);
  });

  it('measures the latency from a line written by an instance to a log follower', async () => {
    const f = fixture();
    const latencies: number[] = [];
    f.logs.follow('shop', { source: 'web' }, (line) => {
      const sent = Number(line.text);
      if (Number.isFinite(sent)) latencies.push(Date.now() - sent);
    });
    const script = `let n = 0; const t = setInterval(() => { console.log(Date.now()); if (++n === 200) clearInterval(t); }, 2)`;
    const instance = await f.supervisor.start(spec(f, { command: `exec "${NODE}" -e "${script}"` }));
    await waitFor('200 lines', () => latencies.length >= 200);
    latencies.sort((a, b) => a - b);
    console.log(
      `instance line -> follower latency over ${latencies.length} lines: p50 ${latencies[100]} ms, p95 ${latencies[190]} ms, max ${latencies.at(-1)} ms`,
    );
    expect(latencies.length).toBe(200);
    await f.supervisor.stop(instance.id);
  });
});
