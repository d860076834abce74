/** EventBridge: CloudFormation Stack Status Change of resource stacks. */
import middy from '@middy/core';
import { NAME_PREFIXES } from '../infra/deploy-settings.ts';
import { logEventErrors } from './lib/middleware.ts';
import { getPlatform, logger } from './lib/platform.ts';
import { type StackStatusEvent, handleStackEvent } from './lib/stack-events-handler.ts';

async function stackEvents(event: StackStatusEvent): Promise<{ outcome: string }> {
  const p = getPlatform();
  const outcome = await handleStackEvent(
    {
      store: p.store,
      markReady: (app, name, env, meta) => p.controlPlane.markResourceReady(app, name, env, meta),
      stackPrefix: `${process.env['WHARF_PLATFORM_NAME'] ?? 'wharf'}-${NAME_PREFIXES.resourceStack}`,
    },
    event,
  );
  logger.info('stack event handled', { outcome });
  return { outcome };
}

export const handler = middy(stackEvents).use(logEventErrors(logger));
