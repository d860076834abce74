/**
 * `wharf run` forwards the CLI's stdin to the one-off process on the local platform: a
 * real `wharf up`, a real push, the real CLI as a child process with its stdin piped.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamFrame } from '../../api/contract.ts';
import { shellQuote } from '../../adapters/local/supervisor/terminal.ts';
import { ROOT, TestPlatform } from '../helpers/platform.ts';

const platform = new TestPlatform();
const APP = 'stdin';
const CLI = join(ROOT, 'cli/wharf.ts');

interface Session {
  readonly child: ChildProcessWithoutNullStreams;
  /** everything written to stdout so far */
  stdout(): string;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** A child's output, gathered as it comes; its stdin may stop being read before the test is done. */
function collect(child: ChildProcessWithoutNullStreams): Session {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.on('error', () => {});
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, done };
}

/** The CLI with a stdin pipe the test writes to (and ends, or leaves open). */
function cli(args: string[]): Session {
  return collect(spawn(process.execPath, [CLI, ...args], { env: platform.env, stdio: 'pipe' }));
}

/** The pid a run printed as `pid=N` (its `sh -c 'echo "pid=$$"; …'`). */
async function runPid(s: Session): Promise<number> {
  await waitFor(s, 'pid=');
  await new Promise((r) => setTimeout(r, 50));
  return Number(/pid=(\d+)/.exec(s.stdout())![1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is gone within 20 s. */
async function goneSoon(pid: number): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

function withInput(args: string[], input: string | Buffer) {
  const s = cli(args);
  s.child.stdin!.end(input);
  return s.done;
}

async function waitFor(s: Session, text: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!s.stdout().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the output: ${s.stdout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

beforeAll(async () => {
  await platform.start();
  const repo = await platform.appRepo('node-web');
  const created = await platform.cli(['create', APP], repo);
  expect(created.code, created.stderr).toBe(0);
  const push = await platform.git(['push', 'wharf', 'main'], repo);
  expect(push.code, push.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
});

describe('wharf run with stdin (local platform)', () => {
  it('passes piped lines to the process and exits 0', async () => {
    const r = await withInput(['run', '-a', APP, '--', 'cat'], 'hello\nworld\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello\nworld\n');
  });

  it('passes bytes through exactly: binary, no newline added, stdout and stderr apart', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0xc3]); // 0xc3 alone is not UTF-8
    const s = spawn(process.execPath, [CLI, 'run', '-a', APP, '--', 'cat; printf err >&2'], {
      env: platform.env,
      stdio: 'pipe',
    });
    const out: Buffer[] = [];
    let err = '';
    s.stdout.on('data', (d: Buffer) => out.push(d));
    s.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    s.stdin.end(bytes);
    const code = await new Promise<number | null>((resolve) => s.on('close', resolve));
    expect(code, err).toBe(0);
    expect(Buffer.concat(out).equals(bytes)).toBe(true);
    expect(err.endsWith('err')).toBe(true);
  });

  it('passes the exit status of a process that read its input', async () => {
    const r = await withInput(['run', '-a', APP, '--', 'sh', '-c', 'read x; echo "got $x"; exit 7'], 'x\n');
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toBe('got x\n');
  });

  it('ends a cat at once when stdin is closed with no data', async () => {
    const r = await withInput(['run', '-a', APP, '--', 'cat; echo done'], '');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('done\n');
  });

  it('takes a CLI stdin of /dev/null or a closed descriptor as end of file', async () => {
    for (const redirect of ['</dev/null', '<&-']) {
      const { code, stdout, stderr } = await collect(
        spawn(
          'sh',
          [
            '-c',
            `exec "$0" "$@" ${redirect}`,
            process.execPath,
            CLI,
            'run',
            '-a',
            APP,
            '--',
            'cat; echo done',
          ],
          { env: platform.env, stdio: 'pipe' },
        ),
      ).done;
      expect(code, `${redirect}: ${stderr}`).toBe(0);
      expect(stdout, redirect).toBe('done\n');
    }
  });

  it('--no-stdin gives the process /dev/null even while the CLI stdin stays open', async () => {
    const s = cli(['run', '-a', APP, '--no-stdin', '--', 'cat; echo done']);
    s.child.stdin!.write('not for the process\n');
    const r = await s.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('done\n');
  });

  it('exits with the process when it ends while the CLI stdin is still open', async () => {
    const s = cli(['run', '-a', APP, '--', 'read x; echo "first $x"; exit 4']);
    s.child.stdin!.write('line\nmore that is never read\n');
    const r = await s.done;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toBe('first line\n');
  });

  it('streams input line by line to a running shell', async () => {
    const s = cli(['run', '-a', APP, 'bash']);
    s.child.stdin!.write('echo "one $WHARF_APP"\n');
    await waitFor(s, 'one stdin\n');
    s.child.stdin!.write('echo two\n');
    await waitFor(s, 'two\n');
    s.child.stdin!.write('exit 5\n');
    const r = await s.done;
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toBe('one stdin\ntwo\n');
  });

  it('delivers a large input intact', async () => {
    const input = randomBytes(6 * 1024 * 1024);
    const r = await withInput(['run', '-a', APP, '--', 'tee >(wc -c >&2) | sha256sum'], input);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${createHash('sha256').update(input).digest('hex')}  -\n`);
    expect(r.stderr.trim()).toBe(String(input.length));
  });

  it('refuses stdin for an unknown run, an ended run, another app or without the token', async () => {
    const api = platform.client();
    await expect(api.sendRunStdin(APP, 'run-0000000000000000', chunks('x'))).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no run run-0000000000000000 of stdin'),
    });
    let id = '';
    await api.run(
      APP,
      'true',
      (f: StreamFrame) => {
        if ('run' in f) id = f.run.id;
      },
      { stdin: true },
    );
    expect(id).toMatch(/^run-[0-9a-f]{16}$/);
    await expect(api.sendRunStdin(APP, id, chunks('late\n'))).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('has ended'),
    });
    await expect(api.sendRunStdin('other', id, chunks('x'))).rejects.toMatchObject({ code: 'not_found' });
    await expect(platform.client('wrong-token').sendRunStdin(APP, id, chunks('x'))).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('refuses a second stdin request while the first is sending', async () => {
    const api = platform.client();
    let open = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    async function* input(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('go\n');
      await gate;
      yield Buffer.from('end\n');
    }
    let id = '';
    let first: Promise<unknown> = Promise.resolve();
    let second: Promise<unknown> = Promise.resolve();
    const out: string[] = [];
    await api.run(
      APP,
      'read x; echo "read $x"; read y; echo "then $y"',
      (f) => {
        if ('run' in f) {
          id = f.run.id;
          first = api.sendRunStdin(APP, id, input());
        }
        if ('stdout' in f) {
          const text = Buffer.from(f.stdout, 'base64').toString('utf8').trimEnd();
          out.push(text);
          // the process has read from the first request: it is attached
          if (text === 'read go')
            second = api
              .sendRunStdin(APP, id, chunks('x\n'))
              .catch((e: unknown) => e)
              .finally(open);
        }
      },
      { stdin: true },
    );
    expect(await second).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already receiving its stdin'),
    });
    await expect(first).resolves.toMatchObject({ bytes: 7, ending: 'eof' });
    expect(out.join('\n')).toBe('read go\nthen end');
  });

  it('answers the stdin request when the input ends, with what was received', async () => {
    const api = platform.client();
    const frames: StreamFrame[] = [];
    let sent: Promise<unknown> = Promise.resolve();
    await api.run(
      APP,
      'wc -c',
      (f) => {
        frames.push(f);
        if ('run' in f) sent = api.sendRunStdin(APP, f.run.id, chunks('abc', 'de\n'));
      },
      { stdin: true },
    );
    expect(await sent).toMatchObject({ bytes: 6, ending: 'eof' });
    expect(frames).toContainEqual({ stdout: Buffer.from('6\n').toString('base64') });
    expect(frames).toContainEqual({ exit: { status: 0, signal: null } });
  });
});

describe('wharf run on a terminal (local platform)', () => {
  const TTY_PROBE =
    'if test -t 0 && test -t 1; then echo on-a-tty; else echo on-a-pipe; fi; stty size; echo "TERM=$TERM"';

  it('--tty runs the command on a terminal of the default size and the given TERM', async () => {
    const s = cli(['run', '--tty', '-a', APP, '--', 'sh', '-c', TTY_PROBE]);
    s.child.stdin!.end();
    const r = await s.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('on-a-tty\r\n');
    expect(r.stdout).toContain('24 80\r\n');
    expect(r.stdout).toMatch(/TERM=\S+\r\n/);
  });

  it('passes the typed input and the exit code through the terminal', async () => {
    const r = await withInput(
      ['run', '--tty', '-a', APP, '--', 'sh', '-c', 'read x; echo "got:$x"; exit 7'],
      'hi\n',
    );
    expect(r.code, r.stderr).toBe(7);
    // the terminal echoes what was typed, then the command answers
    expect(r.stdout).toContain('hi\r\n');
    expect(r.stdout).toContain('got:hi\r\n');
  });

  it('gives a run a terminal by itself when the CLI is on one, and a pipe with --no-tty', async () => {
    const onTerminal = async (extra: string[]) => {
      const line = [process.execPath, CLI, 'run', ...extra, '-a', APP, '--', 'sh', '-c', TTY_PROBE]
        .map(shellQuote)
        .join(' ');
      // script(1) gives the CLI itself a terminal of 30 rows and 100 columns
      const s = collect(
        spawn('script', ['-qefc', `stty rows 30 cols 100; exec ${line}`, '/dev/null'], {
          env: { ...platform.env, TERM: 'xterm' },
          stdio: 'pipe',
        }),
      );
      s.child.stdin.end();
      const { code, stdout } = await s.done;
      return { code, out: stdout };
    };
    const auto = await onTerminal([]);
    expect(auto.code, auto.out).toBe(0);
    expect(auto.out).toContain('on-a-tty');
    expect(auto.out).toContain('30 100');
    // through two terminals (the CLI's and the run's), lines end in CR CR LF
    expect(auto.out).toMatch(/TERM=xterm\r+\n/);
    const piped = await onTerminal(['--no-tty']);
    expect(piped.code, piped.out).toBe(0);
    expect(piped.out).toContain('on-a-pipe');
  });

  it('refuses a terminal without stdin, and a terminal name that is not one', async () => {
    const token = readFileSync(join(platform.dataDir, 'token'), 'utf8').trim();
    const post = (body: unknown) =>
      fetch(`${platform.apiUrl}/apps/${APP}/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const noStdin = await post({ command: 'true', tty: { rows: 24, cols: 80, term: 'xterm' } });
    expect(noStdin.status).toBe(400);
    expect(((await noStdin.json()) as { error: { message: string } }).error.message).toContain(
      '"tty" needs "stdin": true',
    );
    const badTerm = await post({
      command: 'true',
      stdin: true,
      tty: { rows: 24, cols: 80, term: 'x; rm -rf /' },
    });
    expect(badTerm.status).toBe(400);
    expect(((await badTerm.json()) as { error: { message: string } }).error.message).toContain(
      '"tty.term" is a terminal name',
    );
    const badSize = await post({ command: 'true', stdin: true, tty: { rows: 0, cols: 80 } });
    expect(badSize.status).toBe(400);
  });
});

describe('a run whose client goes away (local platform)', () => {
  it.each([[[]], [['--tty']], [['--no-stdin']]])(
    'is stopped when the CLI dies (%j), as Heroku stops an attached one-off dyno',
    async (extra: string[]) => {
      const s = cli(['run', ...extra, '-a', APP, '--', 'sh', '-c', 'echo "pid=$$"; sleep 300']);
      const pid = await runPid(s);
      expect(alive(pid)).toBe(true);
      s.child.kill('SIGKILL');
      await s.done;
      expect(await goneSoon(pid)).toBe(true);
    },
  );
});

describe('resizing a run’s terminal (local platform)', () => {
  it('follows the client’s window: the run sees the new size', async () => {
    const api = platform.client();
    let output = '';
    let firstSize: () => void = () => {};
    const sawFirstSize = new Promise<void>((r) => {
      firstSize = r;
    });
    let sent: Promise<unknown> = Promise.resolve();
    let resized: Promise<unknown> = Promise.resolve();
    await api.run(
      APP,
      "sh -c 'stty size; read x; stty size'",
      (f) => {
        if ('stdout' in f) {
          output += Buffer.from(f.stdout, 'base64').toString();
          if (output.includes('10 20')) firstSize();
        }
        if ('run' in f) {
          const id = f.run.id;
          sent = api.sendRunStdin(
            APP,
            id,
            (async function* () {
              await sawFirstSize;
              resized = api.resizeRun(APP, id, { rows: 30, cols: 90 });
              // answered once the terminal has its new size
              await resized;
              yield Buffer.from('go\n');
            })(),
          );
        }
      },
      { stdin: true, tty: { rows: 10, cols: 20, term: 'xterm' } },
    );
    await sent;
    expect(await resized).toMatchObject({ rows: 30, cols: 90 });
    expect(output).toMatch(/10 20\r\n[\s\S]*30 90\r\n/);
  });

  it('refuses to resize a run without a terminal, or an unknown one', async () => {
    const api = platform.client();
    let refused: unknown = null;
    let sent: Promise<unknown> = Promise.resolve();
    await api.run(
      APP,
      'cat',
      (f) => {
        if ('run' in f) {
          const id = f.run.id;
          sent = api.sendRunStdin(
            APP,
            id,
            (async function* () {
              refused = await api.resizeRun(APP, id, { rows: 30, cols: 90 }).catch((e: unknown) => e);
              yield Buffer.from('');
            })(),
          );
        }
      },
      { stdin: true },
    );
    await sent;
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringContaining('has no terminal') });
    await expect(api.resizeRun(APP, 'run-nope', { rows: 1, cols: 1 })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(api.resizeRun(APP, 'run-nope', { rows: 0, cols: 1 })).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('a resize is {rows, cols}'),
    });
  });
});

describe('leaving a run on a terminal with ~. (local platform)', () => {
  it('ends the CLI with 255 and stops the run, as closing the terminal would', async () => {
    const s = cli(['run', '--tty', '-a', APP, '--', 'sh', '-c', 'echo "pid=$$"; sleep 300']);
    const pid = await runPid(s);
    s.child.stdin!.write('\r~.');
    const r = await s.done;
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Left the run (~.)');
    expect(await goneSoon(pid)).toBe(true);
  });
});

describe('wharf run --detach (local platform)', () => {
  it('answers with the instance once started; the run outlives the CLI and its output goes to the log', async () => {
    const marker = `detached-${Date.now()}`;
    const r = await platform.cli(['run', '--detach', '-a', APP, '--', 'sh', '-c', `sleep 1; echo ${marker}`]);
    expect(r.code, r.stderr).toBe(0);
    const instance = r.stdout.trim();
    expect(instance).toMatch(/^run\./);
    expect(r.stderr).toContain(`${instance} started, detached`);
    // the CLI is gone; the run finishes on its own and its line reaches the app's log
    const deadline = Date.now() + 20_000;
    let log = '';
    while (!log.includes(marker) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 200));
      log = (await platform.cli(['log', '-a', APP, '-i', instance, '-n', '50'])).stdout;
    }
    expect(log).toContain(marker);
  });

  it('is spelled run:detached too, and refuses stdin or a terminal', async () => {
    const r = await platform.cli(['run:detached', '-a', APP, '--json', '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      app: APP,
      detached: true,
      instance: expect.stringMatching(/^run\./),
    });
    const api = platform.client();
    await expect(api.run(APP, 'true', () => {}, { detach: true, stdin: true })).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('a detached run reads no input'),
    });
  });

  it('reports a run that cannot start, as an attached run would', async () => {
    const r = await platform.cli(['run', '--detach', '-a', 'no-such-app', '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no-such-app');
  });
});
