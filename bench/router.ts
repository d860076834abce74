/**
 * The router benchmark: an upstream app reached directly, through LocalRouter and
 * through nginx (the same reverse proxy, one worker), each in its own process, with
 * keep-alive on and off; at saturation (wrk) and at a fixed 1k req/s (bench/lib/loadgen.ts).
 * Prints a table against the targets of issue 8 and writes bench/results/router-*.json.
 *
 *   node_modules/.bin/node bench/router.ts
 *
 * Knobs (environment): BENCH_ROUNDS (3), BENCH_SECONDS per saturation run (5),
 * BENCH_RATE_SECONDS per fixed-rate run (8), BENCH_CONNECTIONS for wrk (50).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixedRateResult } from './lib/loadgen.ts';
import { type NginxProxy, startNginx } from './lib/nginx.ts';
import {
  canReadProcStat,
  cpuMicros,
  hasCommand,
  NODE,
  pinned,
  type Started,
  startJsonProcess,
  treeCpuMicros,
} from './lib/procs.ts';
import { type Figure, mean, median, percentile, summarize, writeResults } from './lib/stats.ts';
import { fmt, formatTable, verdict } from './lib/table.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = 1000;
const HOST = 'bench.localhost';
const TARGETS = { nginxShare: 0.7, addedMeanMs: 1.5, addedP99Ms: 5, cpuMicros: 70 };

type Target = 'direct' | 'router' | 'nginx';
const log = (line: string): void => void process.stderr.write(`-----> ${line}\n`);

/** Installs wrk and nginx with apt-get when missing and possible; says what it did. */
function ensureTools(): { wrk: boolean; nginx: boolean } {
  const missing = ['wrk', 'nginx'].filter((c) => !hasCommand(c));
  if (missing.length > 0 && process.getuid?.() === 0 && hasCommand('apt-get')) {
    const pkgs = missing.map((c) => (c === 'nginx' ? 'nginx-light' : c));
    log(`installing ${pkgs.join(' ')} with apt-get (bench tools, not needed by the tests)`);
    try {
      execFileSync('flock', ['/tmp/wharf-apt.lock', 'apt-get', 'install', '-y', '-q', ...pkgs], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch (e) {
      log(`apt-get install failed (${(e as Error).message}); going on without ${missing.join(', ')}`);
    }
  }
  return { wrk: hasCommand('wrk'), nginx: hasCommand('nginx') };
}

/** Proxies get CPU 0 alone; the upstream and the load generators share the others. */
function cpuPlan(): { proxy: string | null; rest: string | null } {
  const n = cpus().length;
  if (n < 2 || !hasCommand('taskset')) return { proxy: null, rest: null };
  return { proxy: '0', rest: n === 2 ? '1' : `1-${n - 1}` };
}

async function fixedRate(port: number, keepAlive: boolean, cpusFor: string | null): Promise<FixedRateResult> {
  const options = { port, hostHeader: HOST, rate: RATE, durationMs: RATE_SECONDS * 1000, keepAlive };
  const [cmd, args] = pinned(cpusFor, NODE, [join(HERE, 'lib', 'loadgen.ts'), JSON.stringify(options)]);
  const gen = await startJsonProcess<FixedRateResult>(cmd, args, (RATE_SECONDS + 30) * 1000);
  await gen.stop();
  return gen.ready;
}

interface SaturationRun extends WrkResult {
  readonly cpuMicrosPerRequest: number;
}
interface RateRun {
  readonly latencies: number[];
  readonly failed: number;
  readonly sent: number;
  readonly achievedRate: number;
  readonly cpuMicrosPerRequest: number;
}

let startLoadAverage: number[] = [];

async function main(): Promise<void> {
  startLoadAverage = loadavg();
  const tools = ensureTools();
  const plan = cpuPlan();
  const procStat = canReadProcStat();
  log(
    `cpus: ${cpus().length}; proxies pinned to ${plan.proxy ?? 'none'}, upstream and load to ${plan.rest ?? 'any'}`,
  );
  if (!tools.wrk) log('wrk is missing: saturation figures are skipped');
  if (!tools.nginx) log('nginx is missing: the nginx baseline is skipped');

  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-router-'));
  const started: { stop(): Promise<void> }[] = [];
  try {
    const [upCmd, upArgs] = pinned(plan.rest, NODE, [join(HERE, 'lib', 'upstream.ts')]);
    const upstream = await startJsonProcess<{ port: number }>(upCmd, upArgs);
    started.push(upstream);
    const [rtCmd, rtArgs] = pinned(plan.proxy, NODE, [
      join(HERE, 'lib', 'router-server.ts'),
      String(upstream.ready.port),
    ]);
    const router: Started<{ port: number; pid: number }> = await startJsonProcess(rtCmd, rtArgs);
    started.push(router);
    let nginx: NginxProxy | null = null;
    if (tools.nginx) {
      const nginxPort = 20000 + Math.floor(Math.random() * 20000);
      nginx = await startNginx(join(dir, 'nginx'), nginxPort, upstream.ready.port, plan.proxy);
      started.push(nginx);
    }
    const targets: { name: Target; port: number; cpu: (() => number) | null }[] = [
      { name: 'direct', port: upstream.ready.port, cpu: null },
      { name: 'router', port: router.ready.port, cpu: procStat ? () => cpuMicros(router.ready.pid) : null },
    ];
    if (nginx !== null) {
      const pid = nginx.masterPid;
      targets.push({ name: 'nginx', port: nginx.port, cpu: procStat ? () => treeCpuMicros(pid) : null });
    }

    // warm up every path (JIT, pools) before measuring
    for (const t of targets) await fixedRate(t.port, true, plan.rest);

    const saturation = new Map<string, SaturationRun[]>();
    const rate = new Map<string, RateRun[]>();
    const push = <T>(m: Map<string, T[]>, key: string, v: T): void => {
      m.set(key, [...(m.get(key) ?? []), v]);
    };
    // rounds interleave the targets, so drifting background load hits all of them alike
    for (let round = 1; round <= ROUNDS; round++) {
      for (const keepAlive of [true, false]) {
        for (const t of targets) {
          const key = `${t.name} ka=${keepAlive ? 'on' : 'off'}`;
          if (tools.wrk) {
            log(`round ${round}/${ROUNDS}: saturation ${key}`);
            const before = t.cpu?.() ?? 0;
            const w = await runWrk({
              url: `http://127.0.0.1:${t.port}/`,
              hostHeader: HOST,
              connections: CONNECTIONS,
              seconds: SECONDS,
              keepAlive,
              cpus: plan.rest,
            });
            const cpu = t.cpu ? (t.cpu() - before) / w.requests : Number.NaN;
            push(saturation, key, { ...w, cpuMicrosPerRequest: cpu });
          }
          log(`round ${round}/${ROUNDS}: ${RATE} req/s ${key}`);
          const before = t.cpu?.() ?? 0;
          const r = await fixedRate(t.port, keepAlive, plan.rest);
          const cpu = t.cpu ? (t.cpu() - before) / r.sent : Number.NaN;
          push(rate, key, {
            latencies: r.latenciesMs,
            failed: r.failed,
            sent: r.sent,
            achievedRate: r.achievedRate,
            cpuMicrosPerRequest: cpu,
          });
        }
      }
    }
    report(saturation, rate, plan);
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  saturation: Map<string, SaturationRun[]>,
  rate: Map<string, RateRun[]>,
  plan: { proxy: string | null },
): void {
  const figures: Figure[] = [];
  const rows: string[][] = [];
  const sat = (key: string, f: (r: SaturationRun) => number): number[] => (saturation.get(key) ?? []).map(f);
  const lat = (key: string): number[] => (rate.get(key) ?? []).flatMap((r) => r.latencies);

  for (const ka of ['on', 'off']) {
    const rps = (t: Target): number => median(sat(`${t} ka=${ka}`, (r) => r.rps));
    for (const t of ['direct', 'router', 'nginx'] as const) {
      const key = `${t} ka=${ka}`;
      if (!saturation.has(key)) continue;
      figures.push(
        summarize(
          `saturation ${key} throughput`,
          'req/s',
          sat(key, (r) => r.rps),
        ),
      );
      figures.push(
        summarize(
          `saturation ${key} p50 latency`,
          'ms',
          sat(key, (r) => r.p50Ms),
        ),
      );
      figures.push(
        summarize(
          `saturation ${key} p99 latency`,
          'ms',
          sat(key, (r) => r.p99Ms),
        ),
      );
      const errors = sat(key, (r) => r.errors).reduce((a, b) => a + b, 0);
      rows.push([
        `saturation ${key}`,
        `${fmt(rps(t))} req/s`,
        `p50 ${fmt(median(sat(key, (r) => r.p50Ms)))} ms, p99 ${fmt(median(sat(key, (r) => r.p99Ms)))} ms, errors ${errors}`,
        '',
        '',
      ]);
    }
    if (saturation.has(`nginx ka=${ka}`) && saturation.has(`router ka=${ka}`)) {
      const share = rps('router') / rps('nginx');
      figures.push(
        summarize(`router/nginx throughput ka=${ka}`, 'ratio', [share], {
          target: `>= ${TARGETS.nginxShare}`,
        }),
      );
      rows.push([
        `router / nginx throughput, ka=${ka}`,
        `${fmt(share * 100, 0)} %`,
        '',
        `>= ${TARGETS.nginxShare * 100} %`,
        verdict(share, TARGETS.nginxShare, 'higher'),
      ]);
    }
  }

  for (const ka of ['on', 'off']) {
    for (const t of ['direct', 'router', 'nginx'] as const) {
      const key = `${t} ka=${ka}`;
      if (!rate.has(key)) continue;
      const l = lat(key);
      const runs = rate.get(key) ?? [];
      const failed = runs.reduce((a, r) => a + r.failed, 0);
      // below the asked rate, the generator itself could not keep up: the machine is overloaded
      const achieved = median(runs.map((r) => r.achievedRate));
      figures.push(
        summarize(`${RATE} req/s ${key} latency`, 'ms', l, { mean: mean(l), failed, achievedRate: achieved }),
      );
      rows.push([
        `${RATE} req/s ${key}`,
        `mean ${fmt(mean(l), 3)} ms`,
        `p50 ${fmt(percentile(l, 0.5), 3)} ms, p99 ${fmt(percentile(l, 0.99), 3)} ms, sent at ${fmt(achieved, 0)} req/s, failed or unanswered ${failed}`,
        '',
        '',
      ]);
    }
    for (const proxy of ['router', 'nginx'] as const) {
      const runs = rate.get(`${proxy} ka=${ka}`);
      const direct = rate.get(`direct ka=${ka}`);
      if (!runs || !direct) continue;
      // per round, against the direct run of the same round
      const addedMean = runs.map((r, i) => mean(r.latencies) - mean(direct[i]!.latencies));
      const addedP99 = runs.map(
        (r, i) => percentile(r.latencies, 0.99) - percentile(direct[i]!.latencies, 0.99),
      );
      figures.push(
        summarize(`${proxy} added mean latency at ${RATE} req/s ka=${ka}`, 'ms', addedMean, {
          target: `<= ${TARGETS.addedMeanMs}`,
        }),
      );
      figures.push(
        summarize(`${proxy} added p99 latency at ${RATE} req/s ka=${ka}`, 'ms', addedP99, {
          target: `<= ${TARGETS.addedP99Ms}`,
        }),
      );
      const judged = proxy === 'router';
      rows.push([
        `${proxy} added latency at ${RATE} req/s, ka=${ka}`,
        `mean ${fmt(median(addedMean), 3)} ms`,
        `p99 ${fmt(median(addedP99), 3)} ms`,
        judged ? `<= ${TARGETS.addedMeanMs} ms mean, <= ${TARGETS.addedP99Ms} ms p99` : '(baseline)',
        judged
          ? median(addedMean) <= TARGETS.addedMeanMs && median(addedP99) <= TARGETS.addedP99Ms
            ? 'ok'
            : 'MISSED'
          : '',
      ]);
    }
  }

  for (const proxy of ['router', 'nginx'] as const) {
    for (const [label, source] of [
      ['saturation', saturation],
      [`${RATE} req/s`, rate],
    ] as const) {
      const runs = (source.get(`${proxy} ka=on`) ?? []) as { cpuMicrosPerRequest: number }[];
      const cpu = runs.map((r) => r.cpuMicrosPerRequest).filter(Number.isFinite);
      if (cpu.length === 0) continue;
      figures.push(
        summarize(`${proxy} CPU per request, ${label}, ka=on`, 'us', cpu, {
          target: `<= ${TARGETS.cpuMicros}`,
        }),
      );
      const judged = proxy === 'router';
      rows.push([
        `${proxy} CPU per request, ${label}, ka=on`,
        `${fmt(median(cpu), 1)} us`,
        `runs ${cpu.map((c) => fmt(c, 0)).join(', ')}`,
        judged ? `<= ${TARGETS.cpuMicros} us` : '(baseline)',
        judged ? verdict(median(cpu), TARGETS.cpuMicros, 'lower') : '',
      ]);
    }
  }

  const load = loadavg().map((x) => x.toFixed(2));
  process.stdout.write(
    `\nload average at the end: ${load.join(' ')} on ${cpus().length} CPUs (other work on the machine skews every figure)\n`,
  );
  process.stdout.write(
    `\nRouter benchmark: ${ROUNDS} rounds, ${SECONDS} s saturation runs (wrk -t1 -c${CONNECTIONS}), ` +
      `${RATE_SECONDS} s at ${RATE} req/s; proxies pinned to CPU ${plan.proxy ?? '(not pinned)'}, nginx worker_processes 1\n\n`,
  );
  process.stdout.write(formatTable(['figure', 'value', 'detail', 'target', 'verdict'], rows) + '\n\n');
  const file = writeResults('router', figures, {
    extra: {
      loadAverage: loadavg(),
      startLoadAverage,
      rounds: ROUNDS,
      saturationSeconds: SECONDS,
      rateSeconds: RATE_SECONDS,
      connections: CONNECTIONS,
    },
  });
  process.stdout.write(`figures written to ${file}\n`);
}

await main();
