import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource, ResourceProvider } from '../../core/domain.ts';
import type { ProvisionedResource } from '../../core/ports.ts';
import { LocalResourceProvisioner } from '../../adapters/local/resources/provisioner.ts';

export async function tempDataDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-res-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function localProvisioner(dataDir: string): LocalResourceProvisioner {
  return new LocalResourceProvisioner({ dataDir, fastDurability: true });
}

/** The Resource record the control plane would store after provision(). */
export function resourceRecord(
  app: string,
  name: string,
  provider: ResourceProvider,
  provisioned: ProvisionedResource,
): Resource {
  return {
    app,
    name,
    provider,
    status: 'ready',
    env: provisioned.env,
    meta: provisioned.meta,
    createdAt: new Date().toISOString(),
  };
}
