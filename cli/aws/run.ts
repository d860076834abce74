/**
 * `wharf run` on AWS: a one-off ECS task of the current release with the command
 * overridden. Its lines come through Live Tail (stream `run/run/<task>`), its state from
 * `GET /apps/:app/runs/:task` every poll, and the CLI exits with the container's exit code.
 */
import type { LogLine } from '../../api/contract.ts';
import { WharfError } from '../../core/errors.ts';
import { type CommandContext, ioOf } from '../commands/types.ts';
import type { AwsRemote } from '../remote.ts';
import { BackgroundTail, SeenLines, pollInterval, sleep, tailApp } from './tail.ts';

export class RunFailedError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, options);
    this.name = 'RunFailedError';
  }
}

// DescribeTasks may not know a task for a moment after RunTask returned it
const NOT_FOUND_POLLS = 5;

export async function runOnAws(
  ctx: CommandContext,
  remote: AwsRemote,
  app: string,
  command: string,
): Promise<number> {
  const client = ctx.client();
  const { taskId, logs } = await client.startRun(app, command);
  ctx.out.progress(`-----> Running \`${command}\` on ${app} as ECS task ${taskId}`);
  if (ctx.args.flags.has('detach')) {
    // an ECS task runs on without the CLI anyway: --detach only skips following it
    ctx.out.data({ app, instance: taskId, detached: true }, () => `${taskId}\n`);
    return 0;
  }
  const seen = new SeenLines();
  const print = (l: LogLine) => {
    seen.add(l);
    ioOf(ctx).stdout.write(`${l.text}\n`);
  };
  const query = { source: logs.source, instance: logs.instance };
  const tail = new BackgroundTail((signal) => tailApp(client, remote, app, query, print, signal));
  const interval = pollInterval(ctx.env);

  let task: Awaited<ReturnType<typeof client.getRun>> | null = null;
  let lastStatus = '';
  let misses = 0;
  const interrupted = new AbortController();
  const onInt = () => interrupted.abort();
  process.once('SIGINT', onInt);
  try {
    while (!interrupted.signal.aborted) {
      try {
        task = await client.getRun(app, taskId);
      } catch (e) {
        if (!(e instanceof WharfError && e.code === 'not_found') || ++misses > NOT_FOUND_POLLS) throw e;
      }
      if (task && task.status !== lastStatus) {
        lastStatus = task.status;
        ctx.out.progress(`-----> ${task.status.toLowerCase()}`);
      }
      if (task?.status === 'STOPPED') break;
      await sleep(interval, interrupted.signal);
    }
  } finally {
    process.off('SIGINT', onInt);
  }
  const tailError = await tail.stop(interrupted.signal.aborted ? 0 : Math.min(interval, 2000));
  if (interrupted.signal.aborted) {
    ctx.out.progress(
      ` !     Detached: task ${taskId} keeps running; its output: wharf log -p run -i ${taskId}`,
    );
    return 130;
  }
  // what Live Tail missed (lines from before its session started, or after it ended)
  for (const l of seen.unseen(await client.logs(app, query))) print(l);
  if (tailError) ctx.out.progress(` !     Live Tail: ${(tailError as Error).message ?? String(tailError)}`);
  if (task?.exitCode === null || task?.exitCode === undefined) {
    throw new RunFailedError(
      `task ${taskId} stopped before its command ran: ${task?.stoppedReason ?? 'ECS gave no reason'}`,
    );
  }
  return task.exitCode;
}
