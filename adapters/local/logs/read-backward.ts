import { open } from 'node:fs/promises';

const BLOCK_BYTES = 64 * 1024;

/**
 * Yields the lines of a file from the last to the first, reading it in blocks from
 * the end, so that "the last 100 lines" of an 8 MB file costs a block or two.
 * A missing file yields nothing.
 */
export async function* readLinesBackward(path: string): AsyncGenerator<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let position = size;
    let leftover = Buffer.alloc(0);
    while (position > 0) {
      const length = Math.min(BLOCK_BYTES, position);
      position -= length;
      const block = Buffer.alloc(length);
      await handle.read(block, 0, length, position);
      const data = leftover.length > 0 ? Buffer.concat([block, leftover]) : block;
      let end = data.length;
      for (let i = data.length - 1; i >= 0; i--) {
        if (data[i] !== 0x0a) continue;
        if (end > i + 1) yield data.subarray(i + 1, end).toString('utf8');
        end = i;
      }
      // Copy, so the next block's concat does not keep this whole block alive.
      leftover = Buffer.from(data.subarray(0, end));
    }
    if (leftover.length > 0) yield leftover.toString('utf8');
  } finally {
    await handle.close();
  }
}
