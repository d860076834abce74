/** EventBridge: ECS Task State Change and ECS Deployment State Change of Wharf's services. */
import middy from '@middy/core';
import { type EcsEvent, handleEcsEvent } from './lib/ecs-events-handler.ts';
import { logEventErrors } from './lib/middleware.ts';
import { getPlatform, logger } from './lib/platform.ts';

async function taskEvents(event: EcsEvent): Promise<{ outcome: string }> {
  const p = getPlatform();
  const outcome = await handleEcsEvent(
    { leaders: p.leaders, deployer: p.deployer, namePrefix: p.config.name },
    event,
  );
  logger.info('ECS event handled', { detailType: event['detail-type'], outcome });
  return { outcome };
}

export const handler = middy(taskEvents).use(logEventErrors(logger));
