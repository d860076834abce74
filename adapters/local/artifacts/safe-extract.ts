/**
 * Unpacks an uploaded source archive (tar, optionally gzip) into a directory and refuses
 * anything that could write outside it: absolute paths, `..`, links that point outside
 * (also through other links of the archive), device files, and archives that unpack past
 * a size or entry limit (decompression bombs). Setuid, setgid and sticky bits are dropped.
 * On refusal, a dest dir this call created is removed again, so no half-unpacked tree with
 * a hostile link in it stays behind.
 */
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize, posix, resolve, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { ValidationError } from '../../../core/errors.ts';

export interface ExtractLimits {
  /** total unpacked bytes @default 1 GiB */
  readonly maxBytes?: number;
  /** @default 200000 */
  readonly maxEntries?: number;
}

export class UnsafeArchiveError extends ValidationError {
  constructor(message: string, options?: ErrorOptions) {
    super(`unsafe source archive: ${message}`, options);
    this.name = 'UnsafeArchiveError';
  }
}

/** Links followed while resolving one path before giving up (the kernel's own limit). */
const MAX_LINK_HOPS = 40;
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
const META_TYPES = new Set([
  'GlobalExtendedHeader',
  'ExtendedHeader',
  'NextFileHasLongPath',
  'NextFileHasLongLinkpath',
]);

function escapes(entryPath: string): boolean {
  if (isAbsolute(entryPath) || entryPath.startsWith('/') || /^[A-Za-z]:/.test(entryPath)) return true;
  const n = posix.normalize(entryPath.replace(/\\/g, '/'));
  return n === '..' || n.startsWith('../');
}

export async function extractArchive(
  archive: string,
  dest: string,
  limits: ExtractLimits = {},
): Promise<void> {
  const maxBytes = limits.maxBytes ?? 1024 ** 3;
  const maxEntries = limits.maxEntries ?? 200_000;
  const root = resolve(dest);
  const created = !existsSync(root);
  await mkdir(root, { recursive: true });
  try {
    await unpack(archive, root, maxBytes, maxEntries);
    await checkLinks(root);
  } catch (e) {
    if (created) await rm(root, { recursive: true, force: true });
    throw e;
  }
}

async function unpack(archive: string, root: string, maxBytes: number, maxEntries: number): Promise<void> {
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
      if (!ALLOWED_TYPES.has(type)) {
        if (META_TYPES.has(type)) return true;
        return refuse(`entry "${path}" is a ${type}, which a source tree may not hold`);
      }
      if (type === 'SymbolicLink' || type === 'Link') {
        const target = e.linkpath ?? '';
        const base = type === 'Link' ? '' : posix.dirname(path.replace(/\\/g, '/'));
        if (isAbsolute(target) || escapes(posix.join(base, target))) {
          return refuse(`link "${path}" points outside the source directory (${target})`);
        }
      }
      if (typeof e.mode === 'number') e.mode &= 0o777;
      bytes += e.size ?? 0;
      if (bytes > maxBytes) return refuse(`it unpacks to more than ${Math.round(maxBytes / 1024 ** 2)} MB`);
      const full = resolve(root, normalize(path));
      if (full !== root && !full.startsWith(root + sep))
        return refuse(`entry "${path}" points outside the source directory`);
      return true;
    },
  });
  // Headers, padding and the end blocks come on top of the file bodies; anything past
  // that is a stream of zeros or garbage meant to keep the unpacker busy.
  const streamLimit = () => maxBytes + 1024 * (entries + 4) + 20 * 512;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      counter.seen += chunk.length;
      if (counter.seen > streamLimit()) {
        refuse(`it unpacks to more than ${Math.round(maxBytes / 1024 ** 2)} MB`);
        done(problem);
        return;
      }
      done(null, chunk);
    },
  }) as Transform & { seen: number };
  counter.seen = 0;
  try {
    const stages = (await isGzip(archive)) ? [createGunzip(), counter] : [counter];
    await pipeline([createReadStream(archive), ...stages, extractor]);
  } catch (e) {
    if (problem) throw problem;
    if ((e as { code?: unknown }).code === 'TAR_SYMLINK_ERROR') {
      throw new UnsafeArchiveError('an entry is written through a symbolic link of the archive', {
        cause: e,
      });
    }
    throw new ValidationError(
      `the source archive could not be read: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (problem) throw problem;
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Each link checked alone may stay inside while a chain does not (`p -> .` then
 * `q -> p/..`), and a hard link may copy such a symlink elsewhere: so every symlink of
 * the unpacked tree is resolved as the kernel would, through the others.
 */
async function checkLinks(root: string): Promise<void> {
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) pending.push(path);
      else if (d.isSymbolicLink()) {
        const target = await readlink(join(root, path));
        if (!(await staysInside(root, posix.dirname(path), target))) {
          throw new UnsafeArchiveError(`link "${path}" resolves outside the source directory (${target})`);
        }
      }
    }
  }
}

async function staysInside(root: string, fromDir: string, target: string): Promise<boolean> {
  if (isAbsolute(target)) return false;
  const here = fromDir === '.' ? [] : fromDir.split('/');
  const todo = target.split('/');
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (here.length === 0) return false;
      here.pop();
      continue;
    }
    const candidate = join(root, ...here, part);
    const st = await lstat(candidate).catch(() => null);
    if (st?.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) return false;
      const next = await readlink(candidate);
      if (isAbsolute(next)) return false;
      todo.unshift(...next.split('/'));
    } else here.push(part);
  }
  return true;
}
