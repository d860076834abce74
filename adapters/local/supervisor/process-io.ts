import type { Writable } from 'node:stream';

/** Small helpers for a child process's pipes and waits. */

/** Hands output to a caller's sink. */
export function deliver(sink: (chunk: Buffer) => void, chunk: Buffer): void {
  try {
    sink(chunk);
  } catch {
    // The caller's sink failing (a closed connection) must not stop the process or its logs.
  }
}

/** Copies the caller's input into the process's stdin, then closes it (end of file). */
export async function pump(source: AsyncIterable<Buffer>, sink: Writable): Promise<void> {
  // EPIPE when the process exits without reading all of its input is not an error here.
  sink.on('error', () => {});
  try {
    for await (const chunk of source) {
      if (sink.destroyed || sink.writableEnded) break;
      if (!sink.write(chunk)) {
        await new Promise<void>((resolve) => {
          sink.once('drain', resolve);
          sink.once('close', resolve);
        });
      }
    }
  } catch {
    // The caller's input ended badly: give the process end of file all the same.
  } finally {
    if (!sink.destroyed) sink.end();
  }
}

/** true when the promise settles within `ms`, false otherwise (it is not cancelled). */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
