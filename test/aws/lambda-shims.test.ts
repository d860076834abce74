/**
 * The builtin stand-ins the Lambda bundles alias in (functions/lib/bundling.ts) behave as
 * the modules they replace, for what the bundled code uses of them.
 */
import { Readable, Writable } from 'node:stream';
import { ReadableStream as RealReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { lambdaEsbuildOptions } from '../../functions/lib/bundling.ts';
import { pipeline } from '../../functions/lib/shims/stream-promises.ts';
import { ReadableStream } from '../../functions/lib/shims/stream-web.ts';

describe('Lambda builtin shims', () => {
  it('pipeline pipes and settles like node:stream/promises', async () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    await pipeline(Readable.from(['a', 'b', 'c']), sink);
    expect(chunks.join('')).toBe('abc');
    const failing = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    await expect(pipeline(failing, new Writable({ write: (_c, _e, d) => d() }))).rejects.toThrow(
      'source broke',
    );
  });

  it('ReadableStream answers instanceof for web streams only', () => {
    expect(new RealReadableStream() instanceof ReadableStream).toBe(true);
    expect(Readable.from([]) instanceof ReadableStream).toBe(false);
    expect({ getReader: () => null } instanceof ReadableStream).toBe(false);
  });

  it('is what the bundles alias the builtins to', () => {
    const alias = lambdaEsbuildOptions().alias;
    expect(alias['node:stream/web']).toMatch(/shims\/stream-web\.ts$/);
    expect(alias['node:stream/promises']).toMatch(/shims\/stream-promises\.ts$/);
  });
});
