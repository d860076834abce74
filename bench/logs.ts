/**
 * Log follow latency on the local platform: an instance of a `ticker` process type prints
 * a line stamped with the wall clock every 20 ms; two followers receive them, the typed
 * client's followLogs in this process and a `wharf log -f` CLI process (read on its
 * stdout). Latency = arrival time - stamp (same machine, same clock). Prints p50/p95/p99
 * against issue 8's target (p95 <= 100 ms) and writes bench/results/logs-*.json.
 *
 *   node_modules/.bin/node bench/logs.ts
 *
 * Knobs (environment): BENCH_LOG_SECONDS (10).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, sleep, TestPlatform } from '../test/helpers/platform.ts';
import { type Figure, summarize, writeResults } from './lib/stats.ts';
import { fmt, formatTable, verdict, latencyRow } from './lib/table.ts';

const SECONDS = Number(process.env['BENCH_LOG_SECONDS'] ?? 10);
const TARGET_P95_MS = 100;
const APP = 'logbench';
const log = (line: string): void => void process.stderr.write(`-----> ${line}\n`);

const TICKER = `let i = 0;
setInterval(() => {
  process.stdout.write('tick ' + i++ + ' ' + (performance.timeOrigin + performance.now()).toFixed(3) + '\\n');
}, 20);
`;

const now = (): number => performance.timeOrigin + performance.now();

/** The stamp of a ticker line, or null for any other line. */
export function stampOf(text: string): number | null {
  const m = /^tick \d+ (\d+\.\d+)$/.exec(text.trim());
  return m ? Number(m[1]) : null;
}

async function main(): Promise<void> {
  const platform = new TestPlatform();
  const samples = { client: [] as number[], cli: [] as number[] };
  const load = loadavg()[0]!;
  let cli: ReturnType<typeof spawn> | null = null;
  const ac = new AbortController();
  try {
    await platform.start();
    const repo = await platform.appRepo('node-web');
    writeFileSync(join(repo, 'ticker.js'), TICKER);
    appendFileSync(join(repo, 'Procfile'), 'ticker: node ticker.js\n');
    await platform.git(['add', '.'], repo);
    await platform.git(['commit', '-qm', 'ticker'], repo);
    if ((await platform.cli(['create', APP], repo)).code !== 0) throw new Error('wharf create failed');
    const push = await platform.git(['push', 'wharf', 'main'], repo);
    if (push.code !== 0) throw new Error(`git push failed: ${push.stderr}`);
    await platform.cli(['scale', 'web=0', '-a', APP]);

    const client = platform.client();
    const following = client
      .followLogs(
        APP,
        { source: 'ticker', lines: 0 },
        (f) => {
          if (!('log' in f)) return;
          const stamp = stampOf(f.log.text);
          if (stamp !== null) samples.client.push(now() - stamp);
        },
        ac.signal,
      )
      .catch((e: unknown) => log(`client follow ended: ${String(e)}`));
    cli = spawn(
      process.execPath,
      [join(ROOT, 'cli/wharf.ts'), 'log', '-f', '-p', 'ticker', '-n', '0', '--json', '-a', APP],
      {
        env: platform.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    createInterface({ input: cli.stdout! }).on('line', (line) => {
      const at = now();
      try {
        const stamp = stampOf((JSON.parse(line) as { text: string }).text);
        if (stamp !== null) samples.cli.push(at - stamp);
      } catch {
        // not a log line
      }
    });
    await sleep(1500); // both followers subscribed before the first line
    const scaled = await platform.cli(['scale', 'ticker=1', '-a', APP]);
    if (scaled.code !== 0) throw new Error(`scale failed: ${scaled.stderr}`);
    log(`following ticker lines for ${SECONDS} s`);
    await sleep(SECONDS * 1000);
    await platform.cli(['scale', 'ticker=0', '-a', APP]);
    ac.abort();
    await following;
  } finally {
    if (cli && cli.exitCode === null) {
      const exited = new Promise((r) => cli!.once('exit', r));
      cli.kill('SIGINT');
      await exited;
    }
    await platform.stop().catch(() => {});
    platform.cleanup();
  }
  report(samples, load);
}

function report(samples: { client: number[]; cli: number[] }, load: number): void {
  const figures: Figure[] = [];
  const rows: string[][] = [];
  const labels = {
    client: 'log follow latency, client followLogs',
    cli: 'log follow latency, `wharf log -f` process',
  };
  for (const kind of ['client', 'cli'] as const) {
    const f = summarize(labels[kind], 'ms', samples[kind], {
      target: `p95 <= ${TARGET_P95_MS} ms`,
      verdict:
        samples[kind].length === 0
          ? 'MISSED'
          : verdict(summarize('', '', samples[kind]).p95, TARGET_P95_MS, 'lower'),
    });
    figures.push(f);
    rows.push(latencyRow(f, `p95 <= ${TARGET_P95_MS} ms`));
  }
  process.stdout.write(
    `\nLog follow latency, line written by an instance -> received (load average at start: ${fmt(load)})\n\n`,
  );
  process.stdout.write(
    formatTable(['figure', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'n', 'target', 'verdict'], rows) + '\n\n',
  );
  const file = writeResults('logs', figures, { extra: { seconds: SECONDS, loadAverage: load } });
  process.stdout.write(`figures written to ${file}\n`);
}

if (import.meta.main) await main();
