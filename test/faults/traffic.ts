/**
 * Continuous traffic through the router while a fault happens: a few closed-loop clients
 * (each sends its next request when the last one ends), every request recorded with its
 * start, end and outcome, so a test can count failures and say which were in flight when.
 */
import { httpGet } from '../helpers/platform.ts';

export interface RequestRecord {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  /** the release and instance that answered, from the example app's JSON body */
  readonly release?: string;
  readonly instance?: string;
  readonly error?: string;
}

export interface TrafficSummary {
  readonly ok: number;
  readonly failed: RequestRecord[];
  readonly records: RequestRecord[];
  /** releases that answered, with their counts */
  readonly releases: Record<string, number>;
}

export class Traffic {
  private readonly port: number;
  private readonly host: string;
  private readonly clients: number;
  private running = false;
  private loops: Promise<void>[] = [];
  readonly records: RequestRecord[] = [];

  constructor(port: number, app: string, clients = 4) {
    this.port = port;
    this.host = `${app}.localhost`;
    this.clients = clients;
  }

  start(): this {
    this.running = true;
    this.loops = Array.from({ length: this.clients }, () => this.loop());
    return this;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const start = performance.now();
      try {
        const r = await httpGet(this.port, this.host);
        let body: { release?: string; instance?: string } = {};
        try {
          body = JSON.parse(r.body) as typeof body;
        } catch {
          // an error page
        }
        this.records.push({
          start,
          end: performance.now(),
          status: r.status,
          ...(body.release ? { release: body.release } : {}),
          ...(body.instance ? { instance: body.instance } : {}),
          ...(r.status === 200 ? {} : { error: r.body.slice(0, 200) }),
        });
      } catch (e) {
        this.records.push({ start, end: performance.now(), status: 0, error: String(e) });
        await new Promise((r) => setTimeout(r, 20)); // a refused connection comes back at once: do not spin
      }
    }
  }

  async stop(): Promise<TrafficSummary> {
    this.running = false;
    await Promise.all(this.loops);
    const failed = this.records.filter((r) => r.status !== 200);
    const releases: Record<string, number> = {};
    for (const r of this.records) if (r.release) releases[r.release] = (releases[r.release] ?? 0) + 1;
    return { ok: this.records.length - failed.length, failed, records: this.records, releases };
  }
}

/** One line for the test output: counts, and each failed request. */
export function describeTraffic(scenario: string, s: TrafficSummary, t0 = 0): string {
  const lines = [
    `[fault] ${scenario}: ${s.ok} requests ok, ${s.failed.length} failed; releases served ${JSON.stringify(s.releases)}`,
  ];
  for (const f of s.failed) {
    lines.push(
      `[fault]   failed: ${Math.round(f.start - t0)}..${Math.round(f.end - t0)} ms, status ${f.status}, ${f.error ?? ''}`.trimEnd(),
    );
  }
  return lines.join('\n');
}
