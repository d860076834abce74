/** Loaded on first use of the scheduler (see ../lazy.ts): ECS client and adapter in one chunk. */
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsScheduler, type EcsSchedulerOptions } from '../../../adapters/aws/ecs-scheduler.ts';

export function makeEcsScheduler(
  region: string,
  options: Omit<EcsSchedulerOptions, 'client' | 'region'>,
): EcsScheduler {
  return new EcsScheduler({ ...options, region, client: new ECSClient({ region }) });
}
