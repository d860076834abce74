/** EventBridge: CodeBuild Build State Change of Wharf's build projects. */
import middy from '@middy/core';
import type { CodeBuildStateEvent } from '../adapters/aws/codebuild-events.ts';
import { randomUUID } from 'node:crypto';
import { handleBuildEvent } from './lib/build-events-handler.ts';
import { flushAfter, logEventErrors } from './lib/middleware.ts';
import { getPlatform, logger } from './lib/platform.ts';

async function buildEvents(event: CodeBuildStateEvent): Promise<{ outcome: string }> {
  const p = getPlatform();
  const outcome = await handleBuildEvent(
    { controlPlane: p.controlPlane, deployer: p.deployer, store: p.store, holder: randomUUID() },
    event,
  );
  logger.info('build event handled', { outcome });
  return { outcome };
}

export const handler = middy(buildEvents)
  .use(logEventErrors(logger))
  .use(flushAfter(() => getPlatform().logs.flush()));
