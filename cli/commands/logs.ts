import type { LogLine } from '../../api/contract.ts';
import { type Command, ioOf, remoteOf } from './types.ts';

function formatLine(l: LogLine): string {
  const who = l.instance ? `${l.source}.${l.instance.replace(`${l.source}.`, '')}` : l.source;
  return `${l.at} ${l.app}[${who}]: ${l.text}\n`;
}

export const log: Command = {
  usage: 'wharf log [-f] [-p TYPE] [-i INSTANCE] [-n LINES] [-a APP]',
  summary: 'show (and follow) the app log: instances, builds, platform events',
  async run(ctx) {
    const { args, out, client, app } = ctx;
    const io = ioOf(ctx);
    const source = args.flags.get('process');
    const instance = args.flags.get('instance');
    const n = args.flags.get('lines');
    const q = {
      ...(typeof source === 'string' ? { source } : {}),
      ...(typeof instance === 'string' ? { instance } : {}),
      ...(typeof n === 'string' ? { lines: Number(n) } : {}),
    };
    const write = (l: LogLine) => io.stdout.write(out.json ? `${JSON.stringify(l)}\n` : formatLine(l));
    const remote = remoteOf(ctx);
    if (args.flags.has('follow') && remote.kind === 'aws') {
      await (await import('../aws/follow.ts')).followLogs(ctx, remote, app(), q, write);
      return 0;
    }
    if (args.flags.has('follow')) {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await client().followLogs(
        app(),
        q,
        (f) => {
          if ('log' in f) write(f.log);
        },
        ac.signal,
      );
      return 0;
    }
    for (const l of await client().logs(app(), q)) write(l);
    return 0;
  },
};

export const events: Command = {
  usage: 'wharf events [-f] [-a APP]',
  summary: 'list (and follow) platform events',
  async run(ctx) {
    const { args, out, client, env } = ctx;
    const io = ioOf(ctx);
    const a =
      typeof args.flags.get('app') === 'string' ? (args.flags.get('app') as string) : env['WHARF_APP'];
    const q = a ? { app: a } : {};
    const write = (e: { seq: number; at: string; app: string | null; type: string; data: unknown }) =>
      io.stdout.write(
        out.json ? `${JSON.stringify(e)}\n` : `${e.at} ${e.app ?? '-'} ${e.type} ${JSON.stringify(e.data)}\n`,
      );
    // API Gateway cannot stream: on AWS, -f polls for the events after the last one seen
    if (args.flags.has('follow') && remoteOf(ctx).kind === 'aws') {
      await (await import('../aws/follow.ts')).followEvents(ctx, q, write);
      return 0;
    }
    if (args.flags.has('follow')) {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await client().followEvents(
        q,
        (f) => {
          if ('event' in f) write(f.event);
        },
        ac.signal,
      );
      return 0;
    }
    for (const e of await client().events(q)) write(e);
    return 0;
  },
};
