/** A plain-text table for bench output: columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number with a sensible number of digits for a table cell. */
export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}

/** "ok" or "MISSED" for a figure against its target. */
export function verdict(value: number, target: number, better: 'lower' | 'higher'): string {
  if (!Number.isFinite(value)) return 'MISSED';
  return (better === 'lower' ? value <= target : value >= target) ? 'ok' : 'MISSED';
}

/** The cells of a latency figure's row: name, median, p95, p99, max, n, target, verdict. */
export function latencyRow(
  f: { name: string; median: number; p95: number; p99: number; max: number; n: number; verdict?: unknown },
  target: string,
): string[] {
  return [f.name, fmt(f.median), fmt(f.p95), fmt(f.p99), fmt(f.max), String(f.n), target, String(f.verdict)];
}
