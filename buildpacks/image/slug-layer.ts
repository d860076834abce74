import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidSlugError } from './errors.ts';

export interface SlugLayer {
  readonly path: string;
  /** size of the gzip file, which is the layer blob as is */
  readonly size: number;
  /** sha256 of the gzip file: the layer's digest */
  readonly digest: string;
  /** sha256 of the uncompressed tar: the layer's diff_id */
  readonly diffId: string;
}

/**
 * Hashes the slug and its gunzipped tar in one streaming pass, so a slug of any size is read
 * once here and once more by the upload, never held in memory.
 */
export async function describeSlug(path: string): Promise<SlugLayer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new InvalidSlugError(path, (e as NodeJS.ErrnoException).code ?? 'unreadable', { cause: e });
  }
  const compressed = createHash('sha256');
  const uncompressed = createHash('sha256');
  try {
    await pipeline(
      createReadStream(path),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          compressed.update(chunk);
          done(null, chunk);
        },
      }),
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          uncompressed.update(chunk);
          done();
        },
      }),
    );
  } catch (e) {
    throw new InvalidSlugError(path, (e as Error).message, { cause: e });
  }
  return {
    path,
    size,
    digest: `sha256:${compressed.digest('hex')}`,
    diffId: `sha256:${uncompressed.digest('hex')}`,
  };
}
