/**
 * Figures for every benchmark: summaries of samples (median, percentiles, spread) and
 * the JSON file each bench writes under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
  /** anything else worth keeping with the figure (target, verdict, raw runs...) */
  readonly [extra: string]: unknown;
}

/** Nearest-rank percentile of sorted samples; q in [0, 1]. */
export function percentileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function percentile(samples: readonly number[], q: number): number {
  return percentileSorted(
    [...samples].sort((a, b) => a - b),
    q,
  );
}

export function median(samples: readonly number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of samples) sum += x;
  return sum / samples.length;
}

/** max - min: how far apart repeated runs landed. */
export function spread(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  return Math.max(...samples) - Math.min(...samples);
}

/** One figure from raw samples (latencies, per-run throughputs...). */
export function summarize(
  name: string,
  unit: string,
  samples: readonly number[],
  extra: Record<string, unknown> = {},
): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    unit,
    median: median(sorted),
    p95: percentileSorted(sorted, 0.95),
    p99: percentileSorted(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length,
    ...extra,
  };
}

export interface MachineInfo {
  readonly hostname: string;
  readonly platform: string;
  readonly kernel: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    hostname: hostname(),
    platform: platform(),
    kernel: release(),
    cpu: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Writes bench/results/<name>-<timestamp>.json and bench/results/<name>-latest.json;
 * returns the timestamped path.
 */
export function writeResults(
  name: string,
  figures: readonly Figure[],
  options: { dir?: string; extra?: Record<string, unknown> } = {},
): string {
  const dir = options.dir ?? join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString();
  const doc = { machine: machineInfo(), date, commit: currentCommit(), ...options.extra, figures };
  const text = JSON.stringify(doc, null, 2) + '\n';
  const file = join(dir, `${name}-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, `${name}-latest.json`), text);
  return file;
}
