/**
 * Push-to-serving on the local platform, for examples/node-web: a first build (cold
 * cache, a new app each run), a rebuild with a warm cache (a new commit), and a
 * config-only release (`wharf env set`). Each run is timed from the start of the command
 * until the router serves the new release; each stage's share comes from the timings the
 * push prints (receive, build, release, start, health, switch), or from the deployment's
 * steps for a config change. Prints a table against issue 8's target and writes
 * bench/results/push-*.json.
 *
 *   node_modules/.bin/node bench/push.ts
 *
 * Knobs (environment): BENCH_PUSH_COLD (3), BENCH_PUSH_WARM (5), BENCH_PUSH_CONFIG (5).
 */
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type Figure, median, summarize, writeResults } from './lib/stats.ts';
import { fmt, formatTable, verdict } from './lib/table.ts';
import { TestPlatform } from '../test/helpers/platform.ts';

const RUNS = {
  cold: Number(process.env['BENCH_PUSH_COLD'] ?? 3),
  warm: Number(process.env['BENCH_PUSH_WARM'] ?? 5),
  config: Number(process.env['BENCH_PUSH_CONFIG'] ?? 5),
};
const TARGET = { warmMedianMs: 3000, warmP95Ms: 5000 };
const STAGES = ['receive', 'build', 'release', 'start', 'health', 'switch'] as const;
const log = (line: string): void => void process.stderr.write(`-----> ${line}\n`);

interface Run {
  /** from the start of the command until the router answers with the new release */
  readonly servingMs: number;
  /** the command's own wall time */
  readonly commandMs: number;
  readonly stages: Record<string, number>;
}

/** `remote:        build     18.55 s` lines after "Deployed vN in ...". */
export function parseStages(pushStderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /remote:\s+(receive|build|release|start|health|switch)\s+([\d.]+) (ms|s)\b/g;
  for (const m of pushStderr.matchAll(re)) out[m[1]!] = Number(m[2]) * (m[3] === 's' ? 1000 : 1);
  return out;
}

/** Polls the router until `app` answers with `release`; resolves with the time it did. */
function watchServing(
  platform: TestPlatform,
  app: string,
  release: string,
): { seen: Promise<number>; stop(): void } {
  let running = true;
  const seen = (async () => {
    while (running) {
      try {
        const r = await platform.get(app);
        if (r.status === 200 && (JSON.parse(r.body) as { release?: string }).release === release)
          return performance.now();
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return Number.NaN;
  })();
  return {
    seen,
    stop: () => {
      running = false;
    },
  };
}

async function timed(
  platform: TestPlatform,
  app: string,
  release: string,
  command: () => Promise<{ code: number; stderr: string; stdout: string }>,
): Promise<{ servingMs: number; commandMs: number; stderr: string }> {
  const t0 = performance.now();
  const watch = watchServing(platform, app, release);
  const r = await command();
  const commandMs = performance.now() - t0;
  if (r.code !== 0) {
    watch.stop();
    throw new Error(`the command failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }
  const timeout = setTimeout(() => watch.stop(), 10_000);
  const at = await watch.seen;
  clearTimeout(timeout);
  return { servingMs: at - t0, commandMs, stderr: r.stderr };
}

async function main(): Promise<void> {
  const platform = new TestPlatform();
  const runs: Record<'cold' | 'warm' | 'config', Run[]> = { cold: [], warm: [], config: [] };
  const load = loadavg()[0]!;
  try {
    await platform.start();
    for (let i = 0; i < RUNS.cold; i++) {
      const app = `cold${i}`;
      const repo = await platform.appRepo('node-web');
      const c = await platform.cli(['create', app], repo);
      if (c.code !== 0) throw new Error(`wharf create failed: ${c.stderr}`);
      const r = await timed(platform, app, 'v1', () => platform.git(['push', 'wharf', 'main'], repo));
      runs.cold.push({ servingMs: r.servingMs, commandMs: r.commandMs, stages: parseStages(r.stderr) });
      log(`first build ${i + 1}/${RUNS.cold}: ${fmt(r.servingMs / 1000)} s to serving`);
    }
    // warm: the app of the last cold run, whose cache is now filled
    const app = `cold${RUNS.cold - 1}`;
    const repo = await platform.appRepo('node-web');
    await platform.cli(['remote', '-a', app], repo);
    let version = (await platform.client().listReleases(app)).at(-1)?.version ?? 0;
    if (RUNS.cold === 0) throw new Error('BENCH_PUSH_COLD must be at least 1: the warm runs reuse its app');
    for (let i = 0; i < RUNS.warm; i++) {
      appendFileSync(join(repo, 'README.md'), `bench run ${i}\n`);
      await platform.git(['commit', '-qam', `bench ${i}`], repo);
      version++;
      const r = await timed(platform, app, `v${version}`, () =>
        platform.git(['push', '--force', 'wharf', 'main'], repo),
      );
      runs.warm.push({ servingMs: r.servingMs, commandMs: r.commandMs, stages: parseStages(r.stderr) });
      log(`warm rebuild ${i + 1}/${RUNS.warm}: ${fmt(r.servingMs / 1000)} s to serving`);
    }
    for (let i = 0; i < RUNS.config; i++) {
      version++;
      const r = await timed(platform, app, `v${version}`, () =>
        platform.cli(['env', 'set', `BENCH_RUN=${i}`, '-a', app]),
      );
      const deployment = (await platform.client().listDeployments(app)).at(-1);
      const stages: Record<string, number> = {};
      for (const s of deployment?.steps ?? []) stages[s.name] = (stages[s.name] ?? 0) + s.ms;
      runs.config.push({ servingMs: r.servingMs, commandMs: r.commandMs, stages });
      log(`config-only release ${i + 1}/${RUNS.config}: ${fmt(r.servingMs / 1000)} s to serving`);
    }
  } finally {
    await platform.stop().catch(() => {});
    platform.cleanup();
  }
  report(runs, load);
}

function report(runs: Record<'cold' | 'warm' | 'config', Run[]>, load: number): void {
  const figures: Figure[] = [];
  const rows: string[][] = [];
  const stageRows: string[][] = [];
  const labels = {
    cold: 'first build (cold cache)',
    warm: 'rebuild (warm cache)',
    config: 'config-only release',
  };
  for (const kind of ['cold', 'warm', 'config'] as const) {
    const list = runs[kind];
    if (list.length === 0) continue;
    const serving = list.map((r) => r.servingMs);
    const total = median(serving);
    const shares: Record<string, number> = {};
    for (const s of STAGES) {
      const values = list.map((r) => r.stages[s]).filter((v): v is number => v !== undefined);
      if (values.length > 0) shares[s] = median(values);
    }
    const isWarm = kind === 'warm';
    const f = summarize(`push ${labels[kind]}`, 'ms', serving, {
      commandMs: list.map((r) => r.commandMs),
      stagesMedianMs: shares,
      ...(isWarm
        ? {
            target: `median <= ${TARGET.warmMedianMs} ms, p95 <= ${TARGET.warmP95Ms} ms`,
            verdict:
              verdict(total, TARGET.warmMedianMs, 'lower') === 'ok' &&
              verdict(summarize('', '', serving).p95, TARGET.warmP95Ms, 'lower') === 'ok'
                ? 'ok'
                : 'MISSED',
          }
        : {}),
    });
    figures.push(f);
    const accounted = Object.values(shares).reduce((a, b) => a + b, 0);
    stageRows.push([
      labels[kind],
      ...STAGES.map((st) =>
        shares[st] === undefined
          ? '-'
          : `${fmt(shares[st] / 1000)} s ${Math.round((shares[st] / total) * 100)}%`,
      ),
      `${fmt(Math.max(0, total - accounted) / 1000)} s ${Math.round((Math.max(0, total - accounted) / total) * 100)}%`,
    ]);
    rows.push([
      labels[kind],
      `${fmt(f.median / 1000)} s`,
      `${fmt(f.p95 / 1000)} s`,
      String(f.n),
      isWarm ? 'median <= 3 s, p95 <= 5 s' : '-',
      isWarm ? String(f['verdict']) : '-',
    ]);
  }
  process.stdout.write(
    `\nPush to serving, examples/node-web (1-minute load average at start: ${fmt(load)})\n\n`,
  );
  process.stdout.write(formatTable(['figure', 'median', 'p95', 'n', 'target', 'verdict'], rows) + '\n\n');
  process.stdout.write(
    'Stage medians and their share of the median push-to-serving time (other: the git client, the\n',
  );
  process.stdout.write('push hook and the CLI starting, output streaming, the router noticing)\n\n');
  process.stdout.write(formatTable(['figure', ...STAGES, 'other'], stageRows) + '\n\n');
  const file = writeResults('push', figures, { extra: { runs: RUNS, loadAverage: load } });
  process.stdout.write(`figures written to ${file}\n`);
}

if (import.meta.main) await main();
