/** The ArtifactStore contract: a slug put is read back byte for byte until it is removed. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../core/ports.ts';

export function artifactStoreContract(name: string, makeStore: () => Promise<ArtifactStore>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let store: ArtifactStore;
    let dir: string;
    beforeEach(async () => {
      store = await makeStore();
      dir = await mkdtemp(join(tmpdir(), 'wharf-artifacts-'));
    });

    it('keeps a slug under a uri of its own and gives it back intact', async () => {
      const bytes = randomBytes(200_000);
      const slug = join(dir, 'slug.tgz');
      await writeFile(slug, bytes);
      const uri = await store.put('shop', 'build-1', slug);
      const other = await store.put('shop', 'build-2', slug);
      expect(uri).not.toBe(other);
      const path = await store.resolve(uri);
      expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
    });

    it('removes a slug so that it no longer resolves', async () => {
      const slug = join(dir, 'slug.tgz');
      await writeFile(slug, 'slug');
      const uri = await store.put('shop', 'build-3', slug);
      await store.remove(uri);
      await expect(store.resolve(uri)).rejects.toThrow();
    });
  });
}
