/**
 * EcsReleaseDeployer apart from the SDK: a fake scheduler stands for ECS, the real SQLite
 * store holds the records. Reordered and duplicated ECS deployment events.
 */
import { describe, expect, it } from 'vitest';
import { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import type { ServiceDeployment } from '../../adapters/aws/ecs-scheduler.ts';
import { SqliteStateStore } from '../../adapters/local/state/sqlite-store.ts';

async function setUp() {
  const store = new SqliteStateStore(':memory:');
  let n = 0;
  let rollout = 0;
  const deployed: ServiceDeployment[] = [];
  const scheduler = {
    deployService: async (d: ServiceDeployment) => {
      deployed.push(d);
      rollout++;
      return {
        taskDefinitionArn: `arn:td/${d.spec.processType}:${rollout}`,
        created: rollout === 1,
        deploymentId: `ecs-svc/${rollout}`,
      };
    },
    scale: async () => {},
    removeService: async () => {},
  };
  const now = new Date().toISOString();
  await store.createApp({
    name: 'shop',
    createdAt: now,
    buildpacks: [],
    strategy: 'one-by-one',
    health: {},
    deployTimeoutMs: 60_000,
    branch: 'main',
  } as never);
  await store.putArtifact({
    id: 'art-1',
    app: 'shop',
    buildId: 'b1',
    uri: 'registry/shop@sha256:1',
    processTypes: { web: 'npm start' },
    configDefaults: {},
    createdAt: now,
  } as never);
  for (const v of [1, 2]) {
    await store.appendRelease('shop', () => ({
      app: 'shop',
      artifactId: 'art-1',
      env: { V: String(v) },
      processEnv: {},
      processes: { web: 'npm start' },
      description: `v${v}`,
    }));
  }
  const deployer = new EcsReleaseDeployer({
    store,
    scheduler,
    discovery: {
      ensureService: async () => ({ arn: 'arn:srv/web.shop', id: 'srv-1' }) as never,
      ensureLeaderService: async () => ({}) as never,
    },
    router: { targetGroupArns: async () => [], setTable: async () => {} },
    clock: { now: () => new Date(), sleep: async () => {} },
    ids: { next: (p) => `${p}-${++n}` },
  });
  return { store, deployer, deployed };
}

describe('EcsReleaseDeployer', () => {
  it('a late COMPLETED of an older rollout does not complete the newer one', async () => {
    const { store, deployer } = await setUp();
    const first = await deployer.deploy('shop', 1);
    expect(first.steps[0]?.detail).toBe('pending arn:td/web:1 ecs-svc/1');
    await deployer.onServiceDeployment('shop', 'web', 'completed', '', 'ecs-svc/1');
    expect((await store.getDeployment(first.id))?.status).toBe('complete');

    const second = await deployer.deploy('shop', 2);
    // the first rollout's event again (EventBridge delivers at least once, in any order)
    await deployer.onServiceDeployment('shop', 'web', 'completed', '', 'ecs-svc/1');
    expect((await store.getDeployment(second.id))?.status).toBe('running');
    expect(await store.getCurrentVersion('shop')).toBe(1);
    await deployer.onServiceDeployment('shop', 'web', 'completed', '', 'ecs-svc/2');
    expect((await store.getDeployment(second.id))?.status).toBe('complete');
    expect(await store.getCurrentVersion('shop')).toBe(2);
  });

  it('a deploy of a version already complete is returned as is, unless it is a redeploy', async () => {
    const { deployer, deployed } = await setUp();
    const first = await deployer.deploy('shop', 2);
    await deployer.onServiceDeployment('shop', 'web', 'completed', '', 'ecs-svc/1');
    expect((await deployer.deploy('shop', 2)).id).toBe(first.id);
    expect(deployed).toHaveLength(1);
    const again = await deployer.deploy('shop', 2, { redeploy: true });
    expect(again.id).not.toBe(first.id);
    expect(deployed).toHaveLength(2);
  });

  it('sizes and autoscaling come from the formation', async () => {
    const { store, deployer, deployed } = await setUp();
    await store.putFormation({
      app: 'shop',
      processes: { web: 3 },
      sizes: { web: { cpu: 1024, memory: 2048 } },
      autoscaling: { web: { min: 2, max: 6, target: { cpu: 50 } } },
      updatedAt: new Date().toISOString(),
    });
    await deployer.deploy('shop', 2);
    expect(deployed[0]).toMatchObject({
      desiredCount: 3,
      keepDesiredCount: true,
      size: { cpu: 1024, memory: 2048 },
    });
  });
});
