import { isWharfError, ValidationError, WharfError } from '../../core/errors.ts';
import { isErrorCode } from '../../api/errors.ts';
import { formatFrame } from '../../api/frames.ts';
import { withEscape } from '../escape.ts';
import { table } from '../output.ts';
import { type Command, type CommandContext, ioOf, remoteOf } from './types.ts';

export const scale: Command = {
  usage: 'wharf scale TYPE=COUNT… [-a APP]',
  summary: 'set how many instances of each process type run (web=3 worker=1)',
  async run({ args, out, client, app }) {
    if (args.positional.length === 0) {
      const f = await client().getFormation(app());
      out.data(f, () =>
        table([
          ['TYPE', 'COUNT', 'SIZE', 'AUTOSCALING'],
          ...Object.entries(f.processes).map(([type, count]) => {
            const s = f.sizes?.[type];
            const a = f.autoscaling?.[type];
            return [
              type,
              String(count),
              s ? `${s.cpu / 1024} vCPU / ${s.memory} MB` : 'default',
              a
                ? `${a.min}-${a.max}, ${'cpu' in a.target ? `${a.target.cpu} % CPU` : `${a.target.requestsPerTarget} req/target`}`
                : '-',
            ];
          }),
        ]),
      );
      return 0;
    }
    const processes: Record<string, number> = {};
    for (const arg of args.positional) {
      const m = /^([^=]+)=(\d+)$/.exec(arg);
      if (!m) throw new ValidationError(`invalid "${arg}": use TYPE=COUNT, e.g. web=3`);
      processes[m[1]!] = Number(m[2]);
    }
    const f = await client().scale(app(), processes);
    out.data(
      f,
      () =>
        `${Object.entries(f.processes)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}\n`,
    );
    return 0;
  },
};

/** `wharf resize web cpu=1 memory=2GB`: CPU and memory of a process type (Flynn's `limit`). */
export const resize: Command = {
  usage: 'wharf resize TYPE [cpu=VCPU] [memory=SIZE] | wharf resize TYPE --default [-a APP]',
  summary: 'set the CPU and memory of a process type (the ECS task size; 0.25-16 vCPU), and redeploy',
  async run({ args, out, client, app }) {
    const [type, ...pairs] = args.positional;
    if (!type) throw new ValidationError('give a process type: wharf resize web cpu=1 memory=2GB');
    let size: { cpu?: string; memory?: string } | null = null;
    if (!args.flags.has('default')) {
      if (pairs.length === 0) {
        throw new ValidationError('give cpu=VCPU and/or memory=SIZE, e.g. cpu=1 memory=2GB, or --default');
      }
      const given: { cpu?: string; memory?: string } = {};
      for (const pair of pairs) {
        const m = /^(cpu|memory)=(.+)$/.exec(pair);
        if (!m)
          throw new ValidationError(
            `invalid "${pair}": use cpu=VCPU or memory=SIZE, e.g. cpu=0.5 memory=1GB`,
          );
        given[m[1] as 'cpu' | 'memory'] = m[2]!;
      }
      size = given;
    } else if (pairs.length > 0) {
      throw new ValidationError('--default resets the size: drop the cpu= and memory= arguments');
    }
    out.progress(`-----> Resizing ${type}…`);
    const r = await client().resize(app(), { [type]: size });
    if (r.deployment)
      out.progress(`-----> Deploying v${r.deployment.toVersion} with the new size (${r.deployment.status})`);
    const s = r.formation.sizes?.[type];
    out.data(r, () => `${type}: ${s ? `${s.cpu / 1024} vCPU, ${s.memory} MB` : 'default size'}\n`);
    return 0;
  },
};

export const ps: Command = {
  usage: 'wharf ps [-a APP]',
  summary: 'list running instances',
  async run({ out, client, app }) {
    const list = await client().instances(app());
    out.data(list, () =>
      table([
        ['ID', 'TYPE', 'RELEASE', 'STATE', 'PORT', 'RESTARTS', 'STARTED'],
        ...list.map((i) => [
          i.id,
          i.processType,
          `v${i.releaseVersion}`,
          i.state,
          String(i.port),
          String(i.restarts),
          i.startedAt,
        ]),
      ]),
    );
    return 0;
  },
};

export const restart: Command = {
  usage: 'wharf restart [-a APP]',
  summary: 'replace every instance, one by one',
  async run({ out, client, app }) {
    const d = await client().restart(app());
    out.data(d, () => `${d.status}\n`);
    return 0;
  },
};

export const run: Command = {
  usage: 'wharf run [-a APP] [--no-stdin] [--tty | --no-tty] [--detach] [--] CMD…',
  summary:
    'run a one-off instance of the current release; its exit code is passed on. Locally, from a ' +
    'terminal it runs on one too (`wharf run bash`; --no-tty for a pipe), else it reads this stdin ' +
    'through a pipe (--tty forces a terminal); --no-stdin gives it /dev/null. It stops when ' +
    'the CLI does; --detach leaves it running in the background, its output in `wharf log`',
  async run(ctx) {
    const { args, client, app } = ctx;
    const io = ioOf(ctx);
    const words = args.rest.length ? args.rest : args.positional;
    if (words.length === 0) throw new ValidationError('give a command: wharf run -- CMD…');
    const command = shellCommand(words);
    const remote = remoteOf(ctx);
    if (remote.kind === 'aws') return (await import('../aws/run.ts')).runOnAws(ctx, remote, app(), command);
    const name = app();
    const api = client();
    if (args.flags.has('detach')) return runDetached(ctx, api, name, command);
    const withStdin = !args.flags.has('no-stdin');
    const tty = withStdin ? terminalFor(args.flags, io.env) : undefined;
    // on a terminal every key goes to the run: `~.` at a line's start leaves it, as in ssh
    const leave = new AbortController();
    const input = withStdin ? new StdinForwarder(api, name, tty ? () => leave.abort() : null) : null;
    let status = 1;
    let stopResizes = () => {};
    // the keys go to the run as typed (Ctrl-C included): the terminal there echoes and edits
    const raw = tty ? rawStdin() : null;
    try {
      await api.run(
        name,
        command,
        (frame) => {
          if ('stdout' in frame) io.stdout.write(Buffer.from(frame.stdout, 'base64'));
          else if ('stderr' in frame) io.stderr.write(Buffer.from(frame.stderr, 'base64'));
          else if ('out' in frame) io.stdout.write(`${frame.out}\n`);
          else if ('err' in frame) io.stderr.write(`${frame.err}\n`);
          else if ('exit' in frame) status = frame.exit.status ?? 128;
          else if ('run' in frame) {
            input?.start(frame.run.id);
            if (tty) stopResizes = followResizes(api, name, frame.run.id);
          } else {
            const text = formatFrame(frame);
            if (text) io.stderr.write(text);
          }
        },
        { stdin: withStdin, ...(tty ? { tty } : {}), signal: leave.signal },
      );
      if (leave.signal.aborted) {
        // the run ends with its client: say so on a fresh line of the raw terminal
        io.stderr.write('\r\n-----> Left the run (~.): it is stopped\r\n');
        status = 255;
      }
    } finally {
      stopResizes();
      raw?.restore();
      const refused = await input?.stop();
      if (refused) io.stderr.write(` !     the run's stdin was refused: ${refused.message}\n`);
    }
    return status;
  },
};

/**
 * Sends this process's stdin to a run until its end of file or the run's end. Once the
 * run has ended, stdin is no longer read: a terminal left open must not hold the CLI.
 */
class StdinForwarder {
  private readonly api: ReturnType<CommandContext['client']>;
  private readonly app: string;
  /** on a terminal: called at the `~.` escape (cli/escape.ts) */
  private readonly onEscape: (() => void) | null;
  private readonly abort = new AbortController();
  private source: NodeJS.ReadableStream | null = null;
  private sending: Promise<WharfError | null> | null = null;

  constructor(api: ReturnType<CommandContext['client']>, app: string, onEscape: (() => void) | null = null) {
    this.api = api;
    this.app = app;
    this.onEscape = onEscape;
  }

  start(id: string): void {
    this.source = openStdin();
    const read = (this.source ?? emptyInput()) as AsyncIterable<Uint8Array>;
    const input = this.onEscape ? withEscape(read, this.onEscape) : read;
    this.sending = this.api
      .sendRunStdin(this.app, id, input as AsyncIterable<Uint8Array>, this.abort.signal)
      .then(
        () => null,
        // A refusal by the server is worth saying; a transport error or a 409 at the run's
        // end is not: the run's own stream reports an unreachable platform.
        (e: unknown) => (isWharfError(e) && e.code !== 'conflict' && e.code !== 'unavailable' ? e : null),
      );
  }

  /** Stops reading and sending; resolves to the server's refusal of the input, if any. */
  async stop(): Promise<WharfError | null> {
    this.abort.abort();
    const refused = this.sending ? await this.sending : null;
    const source = this.source as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    source?.destroy?.();
    return refused;
  }
}

/** `wharf run --detach`: the run's instance id on stdout once it has started. */
async function runDetached(
  ctx: CommandContext,
  api: ReturnType<CommandContext['client']>,
  app: string,
  command: string,
): Promise<number> {
  const out = ctx.out;
  let instance = '';
  let failed: WharfError | null = null;
  await api.run(
    app,
    command,
    (frame) => {
      if ('run' in frame) instance = frame.run.id;
      else if ('out' in frame) out.progress(`-----> ${frame.out}`);
      else if ('error' in frame)
        failed = new WharfError(
          isErrorCode(frame.error.code) ? frame.error.code : 'internal',
          frame.error.message,
        );
    },
    { detach: true },
  );
  if (failed !== null) throw failed;
  out.data({ app, instance, detached: true }, () => `${instance}\n`);
  return 0;
}

/**
 * The terminal a run gets: this one's size and TERM when stdin and stdout are terminals
 * (or with --tty), none with --no-tty or when either is a pipe or a file.
 */
function terminalFor(
  flags: ReadonlyMap<string, unknown>,
  env: NodeJS.ProcessEnv,
): { rows: number; cols: number; term: string } | undefined {
  if (flags.has('no-tty')) return undefined;
  if (!flags.has('tty') && !(process.stdin.isTTY && process.stdout.isTTY)) return undefined;
  return {
    rows: process.stdout.rows || 24,
    cols: process.stdout.columns || 80,
    term: env['TERM'] && /^[A-Za-z0-9._+-]{1,64}$/.test(env['TERM']) ? env['TERM'] : 'xterm-256color',
  };
}

/** Sends this terminal's new size to the run's whenever the window changes; returns the stop. */
function followResizes(api: ReturnType<CommandContext['client']>, app: string, id: string): () => void {
  const out = process.stdout;
  if (!out.isTTY) return () => {};
  const onResize = () => {
    // a late resize of an ending run is of no consequence
    api.resizeRun(app, id, { rows: out.rows, cols: out.columns }).catch(() => {});
  };
  out.on('resize', onResize);
  return () => out.off('resize', onResize);
}

/** This terminal in raw mode while a run has one, restored after. */
function rawStdin(): { restore(): void } | null {
  const stdin = process.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return null;
  stdin.setRawMode(true);
  return { restore: () => stdin.setRawMode(false) };
}

/** process.stdin, or null when there is none to read (a closed descriptor): that is end of file. */
function openStdin(): NodeJS.ReadableStream | null {
  try {
    const stdin = process.stdin;
    // a descriptor that fails on read ends the input like end of file
    stdin.on('error', () => {});
    return stdin.readable ? stdin : null;
  } catch {
    return null;
  }
}

async function* emptyInput(): AsyncGenerator<Uint8Array> {}

/**
 * The words after `--` as one `bash -c` string: one word is taken as a command line
 * (`wharf run 'npm test && npm run lint'`); several are quoted where the shell would split
 * or expand them, so `wharf run -- node -e 'process.exit(3)'` runs what was typed.
 */
export function shellCommand(words: readonly string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(' ');
}
