/**
 * An open-loop HTTP load generator at a fixed rate (what wrk2's -R does; wrk2 is not in
 * Debian). Requests leave on a schedule whatever the server does, and each latency is
 * measured from the time the request was due, so a stall shows up in the figures
 * instead of quietly slowing the generator (no coordinated omission).
 *
 * Usable as a module (runFixedRate) or as a process: `node bench/lib/loadgen.ts '<json options>'`
 * prints one JSON result line; run it as its own process so it does not share a CPU
 * budget with the server under test.
 */
import { Agent, request } from 'node:http';

export interface FixedRateOptions {
  readonly port: number;
  readonly host?: string;
  /** the Host header */
  readonly hostHeader?: string;
  readonly path?: string;
  /** requests per second */
  readonly rate: number;
  readonly durationMs: number;
  /** reuse connections (true) or open one per request (false) */
  readonly keepAlive: boolean;
  /** requests still waiting after the run ends are given this long @default 2000 */
  readonly drainMs?: number;
}

export interface FixedRateResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly achievedRate: number;
  /** milliseconds from due time to the end of the response, in completion order */
  readonly latenciesMs: number[];
}

export async function runFixedRate(options: FixedRateOptions): Promise<FixedRateResult> {
  const agent = new Agent({ keepAlive: options.keepAlive, maxSockets: 512 });
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const intervalMs = 1000 / options.rate;
  const latenciesMs: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let pending = 0;
  const start = performance.now();

  const fire = (due: number): void => {
    pending++;
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        headers: options.hostHeader === undefined ? {} : { host: options.hostHeader },
        agent,
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          pending--;
          latenciesMs.push(performance.now() - due);
          if (res.statusCode === 200) ok++;
          else failed++;
        });
      },
    );
    req.on('error', () => {
      pending--;
      failed++;
    });
    req.end();
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      // send everything that is due by now, each stamped with its own due time
      while (sent < total && start + sent * intervalMs <= now) {
        fire(start + sent * intervalMs);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  const sendingMs = performance.now() - start;
  const drainUntil = performance.now() + (options.drainMs ?? 2000);
  while (pending > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  failed += pending;
  agent.destroy();
  return { sent, ok, failed, achievedRate: (sent / sendingMs) * 1000, latenciesMs };
}

if (import.meta.main) {
  const options = JSON.parse(process.argv[2] ?? '{}') as FixedRateOptions;
  const result = await runFixedRate(options);
  process.stdout.write(JSON.stringify(result) + '\n');
}
