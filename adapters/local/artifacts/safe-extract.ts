/**
 * Unpacks an uploaded source archive (tar, optionally gzip) into a directory and refuses
 * anything that could write outside it: absolute paths, `..`, links that point outside,
 * device files, and archives that unpack past a size or entry limit (decompression bombs).
 */
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, normalize, posix, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { ValidationError } from '../../../core/errors.ts';

export interface ExtractLimits {
  /** total unpacked bytes @default 1 GiB */
  readonly maxBytes?: number;
  /** @default 200000 */
  readonly maxEntries?: number;
}

export class UnsafeArchiveError extends ValidationError {
  constructor(message: string) {
    super(`unsafe source archive: ${message}`);
    this.name = 'UnsafeArchiveError';
  }
}

function escapes(entryPath: string): boolean {
  if (isAbsolute(entryPath) || entryPath.startsWith('/') || /^[A-Za-z]:/.test(entryPath)) return true;
  const n = posix.normalize(entryPath.replace(/\\/g, '/'));
  return n === '..' || n.startsWith('../');
}

export async function extractArchive(archive: string, dest: string, limits: ExtractLimits = {}): Promise<void> {
  const maxBytes = limits.maxBytes ?? 1024 ** 3;
  const maxEntries = limits.maxEntries ?? 200_000;
  await mkdir(dest, { recursive: true });
  const root = resolve(dest);
  let bytes = 0;
  let entries = 0;
  let problem: UnsafeArchiveError | null = null;
  const refuse = (message: string) => {
    problem ??= new UnsafeArchiveError(message);
    return false;
  };
  const extractor = tar.x({
    cwd: root,
    strict: true,
    preservePaths: false,
    noChmod: false,
    preserveOwner: false,
    filter: (path, entry) => {
      if (problem) return false;
      const e = entry as tar.ReadEntry;
      entries++;
      if (entries > maxEntries) return refuse(`more than ${maxEntries} entries`);
      if (escapes(path)) return refuse(`entry "${path}" points outside the source directory`);
      const type = e.type;
      if (type !== 'File' && type !== 'OldFile' && type !== 'Directory' && type !== 'SymbolicLink' && type !== 'Link' && type !== 'ContiguousFile') {
        if (type === 'GlobalExtendedHeader' || type === 'ExtendedHeader' || type === 'NextFileHasLongPath' || type === 'NextFileHasLongLinkpath') return true;
        return refuse(`entry "${path}" is a ${type}, which a source tree may not hold`);
      }
      if (type === 'SymbolicLink' || type === 'Link') {
        const target = e.linkpath ?? '';
        const base = type === 'Link' ? '' : posix.dirname(path.replace(/\\/g, '/'));
        if (isAbsolute(target) || escapes(posix.join(base, target))) {
          return refuse(`link "${path}" points outside the source directory (${target})`);
        }
      }
      bytes += e.size ?? 0;
      if (bytes > maxBytes) return refuse(`it unpacks to more than ${Math.round(maxBytes / 1024 ** 2)} MB`);
      const full = resolve(root, normalize(path));
      if (full !== root && !full.startsWith(root + sep)) return refuse(`entry "${path}" points outside the source directory`);
      return true;
    },
  });
  try {
    await pipeline(createReadStream(archive), extractor);
  } catch (e) {
    if (problem) throw problem;
    throw new ValidationError(`the source archive could not be read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (problem) throw problem;
}
