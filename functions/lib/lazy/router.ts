/**
 * Loaded on first use of the router: the ELB client, the ALB adapter, its allocation store,
 * and the leader target groups that share them.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbLeaderTargets } from '../../../adapters/aws/alb-leader-targets.ts';
import { AlbRouter, type AlbRouterOptions } from '../../../adapters/aws/alb-router.ts';
import { DynamoAllocationStore } from '../../../adapters/aws/dynamo-alb-allocation-store.ts';
import type { TableOptions } from '../../../adapters/aws/dynamo-table.ts';

let client: ElasticLoadBalancingV2Client | null = null;
const elb = (region: string) => {
  client ??= new ElasticLoadBalancingV2Client({ region });
  return client;
};

export function makeRouter(
  region: string,
  table: TableOptions,
  options: Omit<AlbRouterOptions, 'client' | 'allocations'>,
): AlbRouter {
  return new AlbRouter({ ...options, client: elb(region), allocations: new DynamoAllocationStore(table) });
}

export function makeLeaderTargets(region: string, table: TableOptions): AlbLeaderTargets {
  return new AlbLeaderTargets({ client: elb(region), allocations: new DynamoAllocationStore(table) });
}
