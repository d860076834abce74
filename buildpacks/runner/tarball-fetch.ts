import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BuildError } from './errors.ts';
import { run } from './exec.ts';

/**
 * Downloads (or reads) a buildpack tarball and unpacks it into `dir`: one top-level folder
 * is stripped (GitHub and most release tarballs have one) and `bin/*` made executable
 * (tarballs made on other systems often lose the mode).
 */
export async function fetchTarballBuildpack(
  url: string,
  display: string,
  dir: string,
  signal?: AbortSignal,
): Promise<void> {
  const fail = (why: string, cause?: unknown) =>
    new BuildError('fetch', `could not fetch buildpack ${display}: ${why}`, { buildpack: display, cause });
  await mkdir(dir, { recursive: true });
  let file = url;
  if (/^https?:\/\//i.test(url)) {
    file = path.join(dir, '..', `${path.basename(dir)}.download`);
    let res: Response;
    try {
      res = await fetch(url, { signal: signal ?? null, redirect: 'follow' });
    } catch (e) {
      throw fail(`${url} is unreachable (${(e as Error).cause ?? (e as Error).message})`, e);
    }
    if (!res.ok || !res.body) throw fail(`${url} answered HTTP ${res.status}`);
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      createWriteStream(file),
    );
  }
  try {
    await run('tar', ['-xf', file, '-C', dir, '--no-same-owner'], { signal });
  } catch (e) {
    throw fail(`not a readable tarball (${(e as Error).message})`, e);
  } finally {
    if (file !== url) await rm(file, { force: true });
  }
  await stripSingleTopFolder(dir);
  await makeBinExecutable(dir);
}

async function stripSingleTopFolder(dir: string) {
  const entries = (await readdir(dir)).filter((e) => e !== 'pax_global_header');
  if (entries.length !== 1) return;
  const top = path.join(dir, entries[0]!);
  if (!(await stat(top)).isDirectory() || entries[0] === 'bin') return;
  const inner = await readdir(top);
  // the inner folder may hold an entry named like itself: move it aside first
  const aside = `${top}.wharf-strip`;
  await rename(top, aside);
  for (const e of inner) await rename(path.join(aside, e), path.join(dir, e));
  await rmdir(aside);
}

async function makeBinExecutable(dir: string) {
  const bin = path.join(dir, 'bin');
  let names: string[];
  try {
    names = await readdir(bin);
  } catch {
    return;
  }
  for (const n of names) {
    const p = path.join(bin, n);
    const s = await stat(p);
    if (s.isFile()) await chmod(p, s.mode | 0o111);
  }
}
