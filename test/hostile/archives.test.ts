/**
 * Hostile source archives, as `wharf deploy` could upload them: each must be refused, and
 * nothing may appear or change outside the destination directory.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { extractArchive, UnsafeArchiveError } from '../../adapters/local/artifacts/safe-extract.ts';
import { type TarEntry, tarArchive, tgz } from './tar-writer.ts';

const sandboxes: string[] = [];
afterEach(() => {
  for (const s of sandboxes.splice(0)) rmSync(s, { recursive: true, force: true });
});

/** Every path under dir with its type and a digest of files, to compare before and after. */
function snapshot(dir: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (p === skip) continue;
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else if (st.isFile())
        out.set(rel, `file ${createHash('sha256').update(readFileSync(p)).digest('hex')} ${st.nlink}`);
      else out.set(rel, `other ${st.mode}`);
    }
  };
  walk(dir);
  return out;
}

/** Extracts into <sandbox>/work/dest beside a secret file; returns the error and what changed outside. */
async function attempt(
  archive: Buffer,
  limits = {},
): Promise<{
  error: unknown;
  outsideBefore: Map<string, string>;
  outsideAfter: Map<string, string>;
  dest: string;
}> {
  const sandbox = mkdtempSync(join(tmpdir(), 'wharf-hostile-'));
  sandboxes.push(sandbox);
  writeFileSync(join(sandbox, 'secret'), 'do not touch');
  const file = join(sandbox, 'upload.tar');
  writeFileSync(file, archive);
  const dest = join(sandbox, 'work', 'dest');
  const outsideBefore = snapshot(sandbox, join(sandbox, 'work'));
  let error: unknown = null;
  try {
    await extractArchive(file, dest, limits);
  } catch (e) {
    error = e;
  }
  return { error, outsideBefore, outsideAfter: snapshot(sandbox, join(sandbox, 'work')), dest };
}

const refused: Record<string, TarEntry[]> = {
  'a ../ path': [{ type: 'file', path: '../evil', body: 'x' }],
  'a ../ path deeper down': [{ type: 'file', path: 'a/b/../../../evil', body: 'x' }],
  'an absolute path': [{ type: 'file', path: '/tmp/wharf-hostile-absolute', body: 'x' }],
  'a symlink to an absolute path': [{ type: 'symlink', path: 'l', target: '/etc' }],
  'a symlink up and out': [{ type: 'symlink', path: 'l', target: '../secret' }],
  'a file written through a symlink that points outside': [
    { type: 'symlink', path: 'l', target: '..' },
    { type: 'file', path: 'l/evil', body: 'x' },
  ],
  'a chain of symlinks that ends outside (p -> ., q -> p/..)': [
    { type: 'symlink', path: 'p', target: '.' },
    { type: 'symlink', path: 'q', target: 'p/..' },
  ],
  'a deeper chain of symlinks reaching the root': [
    { type: 'symlink', path: 'a', target: '.' },
    { type: 'symlink', path: 'b', target: 'a/..' },
    { type: 'symlink', path: 'c', target: 'b/../..' },
  ],
  'a hard link to a file outside': [{ type: 'hardlink', path: 'h', target: '../secret' }],
  'a hard link through an inner symlink chain': [
    { type: 'symlink', path: 'p', target: '.' },
    { type: 'symlink', path: 'q', target: 'p/..' },
    { type: 'hardlink', path: 'h', target: 'q/secret' },
  ],
  'a hard link copying a relative symlink to where it points outside': [
    { type: 'dir', path: 'd' },
    { type: 'symlink', path: 'd/up', target: '..' },
    { type: 'hardlink', path: 'up', target: 'd/up' },
  ],
  'a hard link to an absolute path': [{ type: 'hardlink', path: 'h', target: '/etc/passwd' }],
  'a fifo': [{ type: 'fifo', path: 'f' }],
  'a character device': [{ type: 'chardev', path: 'c' }],
};

describe('hostile archives', () => {
  for (const [what, entries] of Object.entries(refused)) {
    for (const gzip of [false, true]) {
      it(`refuses ${what}${gzip ? ' (gzip)' : ''}, writing nothing outside`, async () => {
        const r = await attempt(gzip ? tgz(entries) : tarArchive(entries));
        expect(r.error).toBeInstanceOf(UnsafeArchiveError);
        expect(r.outsideAfter).toEqual(r.outsideBefore);
        expect(existsSync('/tmp/wharf-hostile-absolute')).toBe(false);
        // the half-unpacked tree, with whatever link it held, is gone
        expect(existsSync(r.dest)).toBe(false);
      });
    }
  }

  it('unpacks an ordinary tree with inner links and drops setuid bits', async () => {
    const r = await attempt(
      tgz([
        { type: 'dir', path: 'src' },
        { type: 'file', path: 'src/index.js', body: 'console.log(1)\n' },
        { type: 'file', path: 'bin/tool', body: '#!/bin/sh\n', mode: 0o4755 },
        { type: 'symlink', path: 'main.js', target: 'src/index.js' },
        { type: 'symlink', path: 'src/self', target: '../src' },
        { type: 'hardlink', path: 'copy.js', target: 'src/index.js' },
      ]),
    );
    expect(r.error).toBeNull();
    expect(readFileSync(join(r.dest, 'main.js'), 'utf8')).toBe('console.log(1)\n');
    expect(readFileSync(join(r.dest, 'copy.js'), 'utf8')).toBe('console.log(1)\n');
    expect(statSync(join(r.dest, 'bin/tool')).mode & 0o7777).toBe(0o755);
    expect(r.outsideAfter).toEqual(r.outsideBefore);
  });

  it('refuses a file whose header claims more than the size limit', async () => {
    const r = await attempt(tarArchive([{ type: 'file', path: 'big', size: 64 * 1024 ** 3 }]), {
      maxBytes: 1024 ** 2,
    });
    expect(r.error).toBeInstanceOf(UnsafeArchiveError);
    expect(String(r.error)).toContain('more than 1 MB');
  });

  it('refuses a gzip bomb: a small upload that unpacks to far more than the limit', async () => {
    const bomb = gzipSync(tarArchive([{ type: 'file', path: 'zeros', body: Buffer.alloc(24 * 1024 ** 2) }]), {
      level: 1,
    });
    expect(bomb.length).toBeLessThan(300 * 1024);
    const r = await attempt(bomb, { maxBytes: 2 * 1024 ** 2 });
    expect(r.error).toBeInstanceOf(UnsafeArchiveError);
    expect(r.outsideAfter).toEqual(r.outsideBefore);
  });

  it('stops decompressing a gzip stream of zeros with no entries in it at the limit', async () => {
    const zeros = gzipSync(Buffer.alloc(24 * 1024 ** 2), { level: 1 });
    const r = await attempt(zeros, { maxBytes: 2 * 1024 ** 2 });
    expect(r.error).toBeInstanceOf(UnsafeArchiveError);
  });

  it('refuses an archive of too many entries', async () => {
    const many: TarEntry[] = Array.from({ length: 60 }, (_, i) => ({
      type: 'file',
      path: `f${i}`,
      body: '',
    }));
    const r = await attempt(tarArchive(many), { maxEntries: 50 });
    expect(r.error).toBeInstanceOf(UnsafeArchiveError);
    expect(String(r.error)).toContain('more than 50 entries');
  });
});
