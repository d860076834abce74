/** Data to stdout (JSON with --json), progress and errors to stderr. */
export interface Out {
  readonly json: boolean;
  data(value: unknown, human: () => string): void;
  progress(line: string): void;
}

export function makeOut(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Out {
  return {
    json,
    data(value, human) {
      stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : ensureNewline(human()));
    },
    progress(line) {
      stderr.write(`${line}\n`);
    },
  };
}

function ensureNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

/** Left-aligned columns. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
