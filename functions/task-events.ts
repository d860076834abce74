/** EventBridge: ECS Task State Change and ECS Deployment State Change of Wharf's services. */
import { type EcsEvent, handleEcsEvent } from './lib/ecs-events-handler.ts';
import { lambdaHandler } from './lib/handler.ts';
import { logEventErrors, requestId } from './lib/middleware.ts';
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

export const handler = lambdaHandler(taskEvents, requestId(logger), logEventErrors(logger));
