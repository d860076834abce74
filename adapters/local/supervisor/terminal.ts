/**
 * A terminal for a one-off run (`wharf run bash` from a terminal, as `heroku run bash`
 * gives one): the launch command runs under util-linux's `script(1)`, which makes a
 * pseudo-terminal of the given size, copies the run's stdin into it and its output out.
 * `script` is in bsdutils, an essential package of Debian; Node has no pty of its own, and
 * a native pty addon would be built for the wrong Node (see docs/local-platform.md).
 * What comes out is what a terminal shows: one stream (stderr included), CR LF line ends,
 * the echo of the input.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { RunTerminal } from '../../../core/ports.ts';

export interface Launch {
  readonly file: string;
  readonly args: readonly string[];
}

/** `'it'\''s'`: one word for sh, whatever it holds. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The launch wrapped so that it runs on a terminal of `tty`'s size. */
export function onTerminal(launch: Launch, tty: RunTerminal): Launch {
  const inner = [launch.file, ...launch.args].map(shellQuote).join(' ');
  return {
    file: 'script',
    // -q: no banner, -e: its exit status is the command's, -f: output flushed as written
    args: ['-qefc', `stty rows ${tty.rows} cols ${tty.cols} 2>/dev/null; exec ${inner}`, '/dev/null'],
  };
}

/** The environment additions of a run on a terminal: TERM, and SHELL for `script -c`. */
export function terminalEnv(tty: RunTerminal): Record<string, string> {
  return { TERM: tty.term, SHELL: '/bin/bash' };
}

/**
 * A new window size for the terminal of the run whose `script` process is `scriptPid`:
 * `stty -F` on the pseudo-terminal its command reads (the kernel then sends SIGWINCH to the
 * terminal's foreground processes, as a real terminal's resize does). Best effort: a run
 * that has just ended has no terminal left to resize.
 */
export async function resizeTerminal(scriptPid: number, size: { rows: number; cols: number }): Promise<void> {
  let pts: string;
  try {
    const child = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8')
      .trim()
      .split(/\s+/)[0];
    if (!child) return;
    pts = readlinkSync(`/proc/${child}/fd/0`);
  } catch {
    return;
  }
  if (!/^\/dev\/pts\/\d+$/.test(pts)) return;
  // resolved once stty is done, so the answer to the resize means the terminal has its size
  await new Promise<void>((resolve) => {
    execFile('stty', ['-F', pts, 'rows', String(size.rows), 'cols', String(size.cols)], () => resolve());
  });
}
