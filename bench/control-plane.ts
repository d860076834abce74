/**
 * The control plane at scale: 500 apps with 3 process types each (web, worker, clock;
 * scaled to 0, releases without artifacts, so no process runs) in the local store of a
 * real `wharf up`, then API latency percentiles for list, info, scale and env set, one
 * request at a time over keep-alive from this process. Then the ALB allocation the AWS
 * adapter would make for the same apps' routes (core/alb/allocation.ts): shards, rules
 * and target groups used, and how long a reconcile takes. Prints a table against issue
 * 8's target (p99 <= 50 ms) and writes bench/results/control-plane-*.json.
 *
 *   node_modules/.bin/node bench/control-plane.ts
 *
 * Knobs (environment): BENCH_APPS (500), BENCH_CP_SAMPLES per call (300).
 */
import { loadavg } from 'node:os';
import type { WharfClient } from '../api/client.ts';
import {
  type AlbAllocation,
  DEFAULT_ALB_QUOTAS,
  EMPTY_ALLOCATION,
  type RouteToPlace,
  reconcileAllocation,
} from '../core/alb/allocation.ts';
import { TestPlatform } from '../test/helpers/platform.ts';
import { type Figure, summarize, writeResults } from './lib/stats.ts';
import { fmt, formatTable, verdict, latencyRow } from './lib/table.ts';

const APPS = Number(process.env['BENCH_APPS'] ?? 500);
const SAMPLES = Number(process.env['BENCH_CP_SAMPLES'] ?? 300);
const TARGET_P99_MS = 50;
const TYPES = ['web', 'worker', 'clock'];
const log = (line: string): void => void process.stderr.write(`-----> ${line}\n`);
const appName = (i: number): string => `app-${String(i).padStart(4, '0')}`;

/** Runs `task` over 0..n-1 with `width` at a time. */
async function inParallel(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

async function populate(client: WharfClient): Promise<void> {
  const t0 = performance.now();
  await inParallel(APPS, 16, async (i) => {
    const name = appName(i);
    await client.createApp(name);
    await client.scale(name, Object.fromEntries(TYPES.map((t) => [t, 0])));
    await client.changeEnv(name, { set: { APP_INDEX: String(i) } });
    if ((i + 1) % 100 === 0) log(`${i + 1}/${APPS} apps created`);
  });
  log(`created ${APPS} apps x ${TYPES.length} process types in ${fmt((performance.now() - t0) / 1000)} s`);
}

async function sample(what: string, call: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await call(i); // warm-up: connections, caches, JIT
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await call(i);
    out.push(performance.now() - t0);
  }
  log(`${what}: ${SAMPLES} calls`);
  return out;
}

interface AlbFigures {
  readonly scenario: string;
  readonly routes: number;
  readonly shards: number;
  readonly rules: number;
  readonly targetGroups: number;
  readonly perShard: { rules: number; targetGroups: number }[];
  readonly fullReconcileMs: number;
  readonly incrementalReconcileMs: number;
}

function albFigures(scenario: string, routes: RouteToPlace[]): AlbFigures {
  let t0 = performance.now();
  const all: AlbAllocation = reconcileAllocation(EMPTY_ALLOCATION, routes, DEFAULT_ALB_QUOTAS);
  const fullReconcileMs = performance.now() - t0;
  // what the ALB router does on each change: reconcile the stored allocation plus one route
  const before = reconcileAllocation(EMPTY_ALLOCATION, routes.slice(0, -1), DEFAULT_ALB_QUOTAS);
  t0 = performance.now();
  reconcileAllocation(before, routes, DEFAULT_ALB_QUOTAS);
  const incrementalReconcileMs = performance.now() - t0;
  const perShard = Array.from({ length: all.shardCount }, (_, s) => ({
    rules: all.rules.filter((r) => r.shard === s).length,
    targetGroups: all.targetGroups.filter((t) => t.shard === s).length,
  }));
  return {
    scenario,
    routes: routes.length,
    shards: all.shardCount,
    rules: all.rules.length,
    targetGroups: all.targetGroups.length,
    perShard,
    fullReconcileMs,
    incrementalReconcileMs,
  };
}

async function main(): Promise<void> {
  const platform = new TestPlatform();
  const latencies: Record<string, number[]> = {};
  const alb: AlbFigures[] = [];
  const load = loadavg()[0]!;
  try {
    await platform.start();
    const client = platform.client();
    await populate(client);
    const pick = (i: number): string => appName((i * 7919) % APPS);
    latencies['list'] = await sample('list', () => client.listApps());
    latencies['info'] = await sample('info', (i) => client.appInfo(pick(i)));
    latencies['scale'] = await sample('scale', (i) => client.scale(pick(i), { web: 0, worker: 0, clock: 0 }));
    latencies['env set'] = await sample('env set', (i) =>
      client.changeEnv(pick(i), { set: { BENCH: String(i) } }),
    );

    // the routes the control plane holds for these apps (one default route each), as the AWS adapter would place them
    const stored: RouteToPlace[] = [];
    for (let i = 0; i < APPS; i++) {
      for (const r of await client.listRoutes(appName(i))) {
        stored.push({
          routeId: r.id,
          app: r.app,
          processType: r.processType,
          domain: r.domain,
          path: r.path,
        });
      }
    }
    alb.push(albFigures(`${APPS} apps, their routes in the store`, stored));
    const twoTypes = stored.flatMap((r) => [
      r,
      { ...r, routeId: `${r.routeId}-api`, processType: 'worker', path: '/api' },
    ]);
    alb.push(albFigures(`${APPS} apps, web on / and worker on /api each`, twoTypes));
  } finally {
    await platform.stop().catch(() => {});
    platform.cleanup();
  }
  report(latencies, alb, load);
}

function report(latencies: Record<string, number[]>, alb: AlbFigures[], load: number): void {
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const [call, samples] of Object.entries(latencies)) {
    const f = summarize(`control plane ${call} (${APPS} apps)`, 'ms', samples, {
      target: `p99 <= ${TARGET_P99_MS} ms`,
      verdict: verdict(summarize('', '', samples).p99, TARGET_P99_MS, 'lower'),
    });
    figures.push(f);
    rows.push(latencyRow(f, `p99 <= ${TARGET_P99_MS} ms`));
  }
  process.stdout.write(
    `\nControl plane API latency, one call at a time (load average at start: ${fmt(load)})\n\n`,
  );
  process.stdout.write(
    formatTable(['figure', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'n', 'target', 'verdict'], rows) + '\n\n',
  );
  const albRows = alb.map((a) => [
    a.scenario,
    String(a.routes),
    String(a.shards),
    String(a.rules),
    String(a.targetGroups),
    a.perShard.map((s) => `${s.rules}/${s.targetGroups}`).join(' '),
    fmt(a.fullReconcileMs),
    fmt(a.incrementalReconcileMs),
  ]);
  process.stdout.write(
    `ALB allocation of the AWS adapter (quotas: ${DEFAULT_ALB_QUOTAS.rulesPerAlb} rules, ${DEFAULT_ALB_QUOTAS.targetGroupsPerAlb} target groups per ALB)\n\n`,
  );
  process.stdout.write(
    formatTable(
      [
        'scenario',
        'routes',
        'shards',
        'rules',
        'target groups',
        'rules/TGs per shard',
        'full ms',
        '+1 route ms',
      ],
      albRows,
    ) + '\n\n',
  );
  for (const a of alb) {
    figures.push(
      summarize(`ALB shards: ${a.scenario}`, 'shards', [a.shards], {
        rules: a.rules,
        targetGroups: a.targetGroups,
        perShard: a.perShard,
        fullReconcileMs: a.fullReconcileMs,
        incrementalReconcileMs: a.incrementalReconcileMs,
      }),
    );
  }
  const file = writeResults('control-plane', figures, {
    extra: { apps: APPS, samples: SAMPLES, loadAverage: load },
  });
  process.stdout.write(`figures written to ${file}\n`);
}

if (import.meta.main) await main();
