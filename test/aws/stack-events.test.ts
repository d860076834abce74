import { describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import type { Resource } from '../../core/domain.ts';
import { handleStackEvent } from '../../functions/lib/stack-events-handler.ts';
import { FakeTable, fakeDocumentClient } from './fake-dynamo.ts';

const stackEvent = (name: string, status: string, reason = '') => ({
  'detail-type': 'CloudFormation Stack Status Change',
  detail: {
    'stack-id': `arn:aws:cloudformation:eu-west-1:111122223333:stack/${name}/0b1c2d3e`,
    'status-details': { status, 'status-reason': reason },
  },
});

async function setup() {
  const { client } = fakeDocumentClient(new FakeTable());
  const store = new DynamoStateStore({ client, tableName: 't' });
  const resource: Resource = {
    name: 'main-db',
    app: 'my-shop',
    provider: 'postgres',
    status: 'provisioning',
    env: { DATABASE_URL: 'secret:resources/my-shop/main-db' },
    meta: {},
    createdAt: '2026-11-25T10:00:00Z',
  };
  await store.putResource(resource);
  const ready: unknown[][] = [];
  const deps = {
    store,
    stackPrefix: 'wharf-resource-',
    markReady: async (...args: unknown[]) => void ready.push(args),
  };
  return { store, deps, ready };
}

describe('stack events', () => {
  it('finds the resource of a hyphenated stack name and marks it ready with its env', async () => {
    const { deps, ready } = await setup();
    expect(
      await handleStackEvent(deps, stackEvent('wharf-resource-my-shop-main-db', 'CREATE_COMPLETE')),
    ).toBe('resource my-shop/main-db ready');
    expect(ready).toEqual([
      [
        'my-shop',
        'main-db',
        { DATABASE_URL: 'secret:resources/my-shop/main-db' },
        {
          stackId: expect.stringContaining('wharf-resource-my-shop-main-db'),
          stackStatus: 'CREATE_COMPLETE',
        },
      ],
    ]);
  });

  it('records a failed stack with its reason, once, and ignores other stacks and progress', async () => {
    const { deps, store, ready } = await setup();
    await handleStackEvent(
      deps,
      stackEvent('wharf-resource-my-shop-main-db', 'ROLLBACK_COMPLETE', 'DB subnet group missing'),
    );
    expect(await store.getResource('my-shop', 'main-db')).toMatchObject({
      status: 'failed',
      error: 'stack ROLLBACK_COMPLETE: DB subnet group missing',
    });
    expect(
      await handleStackEvent(deps, stackEvent('wharf-resource-my-shop-main-db', 'ROLLBACK_COMPLETE')),
    ).toBe('resource my-shop/main-db: ROLLBACK_COMPLETE');
    expect(await handleStackEvent(deps, stackEvent('wharf-platform', 'UPDATE_COMPLETE'))).toMatch(/^ignored/);
    expect(
      await handleStackEvent(deps, stackEvent('wharf-resource-other-app-db', 'CREATE_COMPLETE')),
    ).toMatch(/^ignored/);
    expect(ready).toEqual([]);
  });
});
