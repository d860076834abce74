/** The pseudo-terminal wrapper of one-off runs, run for real through script(1). */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { onTerminal, shellQuote, terminalEnv } from '../../adapters/local/supervisor/terminal.ts';

describe('run terminal', () => {
  it('quotes any word so that sh sees it whole and unexpanded', () => {
    const words = ['a b', "it's", '$HOME', '"q"', '*', 'line\nbreak', ''];
    const out = execFileSync('sh', ['-c', `printf '[%s]\\n' ${words.map(shellQuote).join(' ')}`], {
      encoding: 'utf8',
    });
    expect(out).toBe(`${words.map((w) => `[${w}]`).join('\n')}\n`);
  });

  it('runs the launch command on a terminal of the given size, with its exit status and input', () => {
    const tty = { rows: 5, cols: 7, term: 'vt100' };
    const launch = onTerminal(
      {
        file: 'sh',
        args: ['-c', 'stty size; test -t 0 && test -t 1 && echo "tty $TERM"; read x; echo "got $x"; exit 4'],
      },
      tty,
    );
    const r = spawnSync(launch.file, [...launch.args], {
      input: 'it\'s "in"\n',
      env: { PATH: process.env['PATH'] ?? '', ...terminalEnv(tty) },
      encoding: 'utf8',
    });
    expect(r.status).toBe(4);
    expect(r.stdout).toContain('5 7\r\n');
    expect(r.stdout).toContain('tty vt100\r\n');
    expect(r.stdout).toContain('got it\'s "in"\r\n');
  });
});
