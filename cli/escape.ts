/**
 * ssh's escape for `wharf run` on a terminal, whose keys all go to the run (Ctrl-C
 * included): `~.` at the start of a line leaves it (the run is then stopped, as when the
 * terminal closes), and `~~` sends one `~`.
 */
const TILDE = 0x7e;
const DOT = 0x2e;

/** `input` without the escapes; `onLeave` is called at `~.`, and nothing after it is read. */
export async function* withEscape(
  input: AsyncIterable<Uint8Array>,
  onLeave: () => void,
): AsyncGenerator<Uint8Array> {
  let lineStart = true;
  let tilde = false;
  for await (const chunk of input) {
    const out: number[] = [];
    for (const b of chunk) {
      if (tilde) {
        tilde = false;
        if (b === DOT) {
          if (out.length > 0) yield Uint8Array.from(out);
          onLeave();
          return;
        }
        out.push(TILDE);
        lineStart = false;
        if (b === TILDE) continue;
      }
      if (lineStart && b === TILDE) {
        tilde = true;
        continue;
      }
      out.push(b);
      lineStart = b === 0x0d || b === 0x0a;
    }
    if (out.length > 0) yield Uint8Array.from(out);
  }
  if (tilde) yield Uint8Array.of(TILDE);
}
