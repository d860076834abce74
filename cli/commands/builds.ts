import { execFileSync, spawn } from 'node:child_process';
import { ValidationError } from '../../core/errors.ts';
import { formatFrame } from '../../api/frames.ts';
import { table } from '../output.ts';
import { type Command, ioOf, remoteOf } from './types.ts';

export const builds: Command = {
  usage: 'wharf builds [-a APP]',
  summary: 'list builds',
  async run({ out, client, app }) {
    const list = await client().listBuilds(app());
    out.data(list, () =>
      table([
        ['ID', 'STATUS', 'SOURCE', 'CREATED'],
        ...[...list].reverse().map((b) => [b.id, b.status, b.sourceVersion.slice(0, 12), b.createdAt]),
      ]),
    );
    return 0;
  },
};

export const build: Command = {
  usage: 'wharf build log ID',
  summary: "print a build's output",
  async run({ args, out, client }) {
    const [sub, id] = args.positional;
    if (sub !== 'log' || !id) throw new ValidationError('use: wharf build log ID (see wharf builds)');
    const lines = await client().buildLog(id);
    out.data(lines, () => lines.map((l) => `${l.text}\n`).join(''));
    return 0;
  },
};

export const deploy: Command = {
  usage: 'wharf deploy [-a APP]',
  summary: 'build and deploy `git archive HEAD` without a push',
  async run(ctx) {
    const { out, client, app } = ctx;
    const io = ioOf(ctx);
    const name = app();
    const remote = remoteOf(ctx);
    if (remote.kind === 'aws') return (await import('../aws/deploy.ts')).deployOnAws(ctx, remote, name);
    const rev = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: io.cwd, encoding: 'utf8' }).trim();
    const child = spawn('git', ['archive', '--format=tar', 'HEAD'], {
      cwd: io.cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    for await (const c of child.stdout) chunks.push(c as Buffer);
    const tar = Buffer.concat(chunks);
    out.progress(`-----> Uploading ${Math.round(tar.length / 1024)} KB of ${rev.slice(0, 12)} to ${name}`);
    let failed = false;
    let result: unknown = null;
    await client().deploy(name, tar, rev, (frame) => {
      if ('error' in frame) failed = true;
      if ('result' in frame) result = frame.result;
      const text = formatFrame(frame);
      if (text) io.stderr.write(text);
    });
    if (result) out.data(result, () => '');
    return failed ? 1 : 0;
  },
};
