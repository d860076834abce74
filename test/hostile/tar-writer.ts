/**
 * Writes raw ustar archives entry by entry, so hostile archives (absolute paths, `..`,
 * links that point outside, lying sizes) can be built exactly; tar tools refuse to.
 */
import { gzipSync } from 'node:zlib';

export type TarEntry =
  | {
      readonly type: 'file';
      readonly path: string;
      readonly body?: string | Buffer;
      readonly mode?: number;
      readonly size?: number;
    }
  | { readonly type: 'dir'; readonly path: string }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'hardlink'; readonly path: string; readonly target: string }
  | { readonly type: 'fifo'; readonly path: string }
  | { readonly type: 'chardev'; readonly path: string };

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' } as const;

function put(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value.slice(0, length), offset, length, 'utf8');
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0');
}

export function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  put(h, 0, 100, entry.path);
  const mode = entry.type === 'dir' ? 0o755 : entry.type === 'file' ? (entry.mode ?? 0o644) : 0o777;
  put(h, 100, 8, octal(mode, 8));
  put(h, 108, 8, octal(0, 8));
  put(h, 116, 8, octal(0, 8));
  put(h, 124, 12, octal(size, 12));
  put(h, 136, 12, octal(Math.floor(Date.now() / 1000), 12));
  h.fill(' ', 148, 156);
  h.write(TYPEFLAG[entry.type], 156, 1, 'ascii');
  if (entry.type === 'symlink' || entry.type === 'hardlink') put(h, 157, 100, entry.target);
  h.write('ustar\u000000', 257, 8, 'binary');
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, `${octal(sum, 7)}\u0000`);
  return h;
}

/** A whole archive; a file's `size` may lie about its body, as a bomb's header would. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === 'file' ? Buffer.from(e.body ?? '') : Buffer.alloc(0);
    const size = e.type === 'file' ? (e.size ?? body.length) : 0;
    parts.push(header(e, size), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tgz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(tarArchive(entries));
}
