/** The SecretStore contract, for every adapter (Secrets Manager, the local 0600 file). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../core/ports.ts';

export function secretStoreContract(name: string, makeStore: () => Promise<SecretStore>): void {
  describe(`SecretStore contract: ${name}`, () => {
    let store: SecretStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('reads null for a missing secret, then what was put, then the overwrite', async () => {
      expect(await store.get('webhook/shop')).toBeNull();
      await store.put('webhook/shop', 's3cret');
      expect(await store.get('webhook/shop')).toBe('s3cret');
      await store.put('webhook/shop', 'rotated value with spaces and ünïcode');
      expect(await store.get('webhook/shop')).toBe('rotated value with spaces and ünïcode');
      expect(await store.get('webhook/other')).toBeNull();
    });

    it('deletes, tolerates deleting twice, and can store the name again', async () => {
      await store.put('git-token/shop', 'ghp_1');
      await store.delete('git-token/shop');
      expect(await store.get('git-token/shop')).toBeNull();
      await store.delete('git-token/shop');
      await store.put('git-token/shop', 'ghp_2');
      expect(await store.get('git-token/shop')).toBe('ghp_2');
    });
  });
}
