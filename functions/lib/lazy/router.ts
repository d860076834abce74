/** Loaded on first use of the router: the ELB client, the ALB adapter and its allocation store. */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbRouter, type AlbRouterOptions } from '../../../adapters/aws/alb-router.ts';
import { DynamoAllocationStore } from '../../../adapters/aws/dynamo-alb-allocation-store.ts';
import type { TableOptions } from '../../../adapters/aws/dynamo-table.ts';

export function makeRouter(
  region: string,
  table: TableOptions,
  options: Omit<AlbRouterOptions, 'client' | 'allocations'>,
): AlbRouter {
  return new AlbRouter({
    ...options,
    client: new ElasticLoadBalancingV2Client({ region }),
    allocations: new DynamoAllocationStore(table),
  });
}
