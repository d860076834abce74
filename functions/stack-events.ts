/**
 * EventBridge: CloudFormation Stack Status Change of resource stacks. The provisioner reads
 * the stack (its tags name the app and resource, its outputs make the env); this applies
 * the outcome. Idempotent: events may come twice or out of order, and each step reads the
 * stack's and the resource's current state.
 */
import middy from '@middy/core';
import type { StackStatusEvent } from '../adapters/aws/resources/provisioner.ts';
import { flushAfter, logEventErrors } from './lib/middleware.ts';
import type { AwsPlatform } from './lib/aws-platform.ts';
import { getPlatform, logger } from './lib/platform.ts';

export async function applyStackEvent(p: AwsPlatform, event: StackStatusEvent): Promise<string> {
  const change = await p.resources.handleStackEvent(event);
  if (!change) return 'ignored: not a resource stack, or nothing to do yet';
  const { app, name } = change;
  const resource = await p.store.getResource(app, name);
  // a resource removed while its stack was still being made or deleted: nothing to update
  if (!resource) return `ignored: ${app} has no resource ${name} (stack ${change.status})`;
  switch (change.status) {
    case 'ready': {
      const { release } = await p.controlPlane.resources.markReady(
        app,
        name,
        { ...change.env },
        { stackId: change.stackId },
      );
      return release
        ? `resource ${app}/${name} ready: release v${release.version}`
        : `resource ${app}/${name} ready`;
    }
    case 'failed':
      if (resource.status !== 'failed') {
        await p.store.putResource({ ...resource, status: 'failed', error: change.error ?? 'stack failed' });
      }
      return `resource ${app}/${name} failed`;
    default:
      return `resource ${app}/${name}: stack ${change.status}`;
  }
}

async function stackEvents(event: StackStatusEvent): Promise<{ outcome: string }> {
  const outcome = await applyStackEvent(getPlatform(), event);
  logger.info('stack event handled', { outcome });
  return { outcome };
}

export const handler = middy(stackEvents)
  .use(logEventErrors(logger))
  .use(flushAfter(() => getPlatform().logs.flush()));
