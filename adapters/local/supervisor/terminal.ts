/**
 * A terminal for a one-off run (`wharf run bash` from a terminal, as `heroku run bash`
 * gives one): the launch command runs under util-linux's `script(1)`, which makes a
 * pseudo-terminal of the given size, copies the run's stdin into it and its output out.
 * `script` is in bsdutils, an essential package of Debian; Node has no pty of its own, and
 * a native pty addon would be built for the wrong Node (see docs/local-platform.md).
 * What comes out is what a terminal shows: one stream (stderr included), CR LF line ends,
 * the echo of the input.
 */
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
