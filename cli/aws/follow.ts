/**
 * `wharf log -f` and `wharf events -f` on AWS, where API Gateway cannot hold a stream open:
 * logs through Live Tail, events by polling `GET /events?after=SEQ`.
 */
import type { LogLine, WharfEvent } from '../../api/contract.ts';
import type { CommandContext } from '../commands/types.ts';
import type { AwsRemote } from '../remote.ts';
import { pollInterval, sleep, tailApp } from './tail.ts';

/** Until Ctrl-C or the end of the Live Tail session (3 hours at most). */
export async function followLogs(
  ctx: CommandContext,
  remote: AwsRemote,
  app: string,
  query: { source?: string; instance?: string; lines?: number },
  write: (line: LogLine) => void,
): Promise<void> {
  const client = ctx.client();
  // the last lines first, as the local platform does
  for (const l of await client.logs(app, { ...query, lines: query.lines ?? 100 })) write(l);
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  try {
    await tailApp(client, remote, app, query, write, ac.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

// DynamoDB may show event n+1 before n is written (two writers in flight): each poll looks
// this far back again and prints the sequence numbers it had not seen.
const LOOK_BACK = 20;

export async function followEvents(
  ctx: CommandContext,
  query: { app?: string },
  write: (e: WharfEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const client = ctx.client();
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  signal?.addEventListener('abort', onInt, { once: true });
  const seen = new Set<number>();
  let last = 0;
  const show = (events: readonly WharfEvent[]) => {
    for (const e of events) {
      if (seen.has(e.seq)) continue;
      seen.add(e.seq);
      last = Math.max(last, e.seq);
      write(e);
    }
  };
  try {
    const history = await client.events(query);
    for (const e of history.slice(0, -20)) {
      seen.add(e.seq);
      last = Math.max(last, e.seq);
    }
    show(history);
    while (!ac.signal.aborted) {
      await sleep(pollInterval(ctx.env), ac.signal);
      if (ac.signal.aborted) break;
      show(await client.events({ ...query, after: Math.max(0, last - LOOK_BACK) }));
    }
  } finally {
    process.off('SIGINT', onInt);
  }
}
