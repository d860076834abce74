/**
 * `npm run bench`: every benchmark, each in its own process so none shares an event loop
 * or a heap with another: push-to-serving, log follow, control plane at scale, plus the
 * router bench and the Lambda bundle bench when they are present. Each writes its own
 * bench/results/<name>-latest.json; this prints their tables as they come, then one table
 * of every figure, and writes bench/results/all-*.json.
 *
 *   node_modules/.bin/node bench/run.ts [push logs control-plane router lambda-bundles]
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, writeResults } from './lib/stats.ts';
import { fmt, formatTable } from './lib/table.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCHES = ['push', 'logs', 'control-plane', 'router', 'lambda-bundles'] as const;
const log = (line: string): void => void process.stderr.write(`=====> ${line}\n`);

interface Outcome {
  readonly bench: string;
  readonly status: 'ok' | 'failed' | 'absent';
  readonly seconds: number;
  readonly figures: Figure[];
}

function runChild(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function readLatest(bench: string, since: number): Figure[] {
  const file = join(HERE, 'results', `${bench}-latest.json`);
  if (!existsSync(file)) return [];
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { date: string; figures: Figure[] };
  // a stale file from an earlier run is not this run's figures
  return Date.parse(doc.date) >= since ? doc.figures : [];
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const outcomes: Outcome[] = [];
  for (const bench of BENCHES) {
    if (wanted.length > 0 && !wanted.includes(bench)) continue;
    const file = join(HERE, `${bench}.ts`);
    if (!existsSync(file)) {
      outcomes.push({ bench, status: 'absent', seconds: 0, figures: [] });
      continue;
    }
    log(`bench/${bench}.ts (load average ${fmt(loadavg()[0]!)})`);
    const t0 = Date.now();
    const code = await runChild(file);
    const figures = readLatest(bench, t0);
    outcomes.push({
      bench,
      status: code === 0 ? 'ok' : 'failed',
      seconds: (Date.now() - t0) / 1000,
      figures,
    });
    if (code !== 0) log(`bench/${bench}.ts failed with exit code ${code}; going on with the others`);
  }
  const rows: string[][] = [];
  for (const o of outcomes) {
    if (o.status !== 'ok') rows.push([`${o.bench}: ${o.status}`, '', '', '', '', '', '']);
    for (const f of o.figures) {
      rows.push([
        f.name,
        f.unit,
        fmt(f.median),
        fmt(f.p95),
        fmt(f.p99),
        typeof f['target'] === 'string' ? f['target'] : '',
        typeof f['verdict'] === 'string' ? f['verdict'] : '',
      ]);
    }
  }
  process.stdout.write(
    '\n\nEvery figure of this run (targets from issue 8; router verdicts are in its own table above)\n\n',
  );
  process.stdout.write(
    formatTable(['figure', 'unit', 'median', 'p95', 'p99', 'target', 'verdict'], rows) + '\n\n',
  );
  const missed = outcomes.flatMap((o) => o.figures).filter((f) => f['verdict'] === 'MISSED');
  if (missed.length > 0) process.stdout.write(`MISSED: ${missed.map((f) => f.name).join('; ')}\n`);
  const file = writeResults(
    'all',
    outcomes.flatMap((o) => o.figures.map((f) => ({ ...f, bench: o.bench }))),
    { extra: { benches: outcomes.map((o) => ({ bench: o.bench, status: o.status, seconds: o.seconds })) } },
  );
  process.stdout.write(`figures written to ${file}\n`);
  if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
}

await main();
