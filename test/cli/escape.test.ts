/** The `~.` escape of `wharf run` on a terminal (cli/escape.ts), as ssh has it. */
import { describe, expect, it } from 'vitest';
import { withEscape } from '../../cli/escape.ts';

async function through(...chunks: string[]): Promise<{ sent: string; left: boolean }> {
  let left = false;
  async function* input() {
    for (const c of chunks) yield Buffer.from(c);
  }
  let sent = '';
  for await (const c of withEscape(input(), () => {
    left = true;
  }))
    sent += Buffer.from(c).toString();
  return { sent, left };
}

describe('the ~. escape', () => {
  it('leaves at ~. at the start of the session or of a line, sending what came before', async () => {
    expect(await through('~.')).toEqual({ sent: '', left: true });
    expect(await through('ls\r', '~', '.', 'never sent')).toEqual({ sent: 'ls\r', left: true });
    expect(await through('echo\n~.')).toEqual({ sent: 'echo\n', left: true });
  });

  it('sends ~ as typed anywhere else, ~~ as one ~, and a ~ left at the end', async () => {
    expect(await through('a~.b')).toEqual({ sent: 'a~.b', left: false });
    expect(await through('~~.')).toEqual({ sent: '~.', left: false });
    expect(await through('~x')).toEqual({ sent: '~x', left: false });
    expect(await through('\r~/bin\r')).toEqual({ sent: '\r~/bin\r', left: false });
    expect(await through('\r~')).toEqual({ sent: '\r~', left: false });
  });
});
