/**
 * CloudFormation status of resource stacks (`<platform>-resource-<app>-<name>`) →
 * the resource is ready (its release is made) or failed. Idempotent: markReady ignores
 * a resource already ready.
 */
import type { StateStore } from '../../core/ports.ts';

export interface StackStatusEvent {
  readonly 'detail-type'?: string;
  readonly detail?: {
    readonly 'stack-id'?: string;
    readonly 'status-details'?: { readonly status?: string; readonly 'status-reason'?: string };
  };
}

export interface StackEventDeps {
  readonly store: Pick<StateStore, 'getResource' | 'putResource'>;
  readonly markReady: (
    app: string,
    name: string,
    env: Record<string, string>,
    meta: Record<string, unknown>,
  ) => Promise<unknown>;
  /** the stack name prefix of resources, e.g. `wharf-resource-` */
  readonly stackPrefix: string;
}

const READY = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);
const FAILED = new Set([
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'DELETE_FAILED',
]);

export async function handleStackEvent(deps: StackEventDeps, event: StackStatusEvent): Promise<string> {
  const stackId = event.detail?.['stack-id'] ?? '';
  const stackName = stackId.split('/')[1] ?? '';
  const status = event.detail?.['status-details']?.status ?? '';
  if (!stackName.startsWith(deps.stackPrefix)) return 'ignored: not a resource stack';
  const rest = stackName.slice(deps.stackPrefix.length);
  // App and resource names both may hold hyphens: the store knows which split is real.
  for (let i = rest.indexOf('-'); i > 0; i = rest.indexOf('-', i + 1)) {
    const app = rest.slice(0, i);
    const name = rest.slice(i + 1);
    const resource = await deps.store.getResource(app, name);
    if (!resource) continue;
    if (READY.has(status)) {
      await deps.markReady(app, name, { ...resource.env }, { stackId, stackStatus: status });
      return `resource ${app}/${name} ready`;
    }
    if (FAILED.has(status) && resource.status !== 'failed') {
      const reason = event.detail?.['status-details']?.['status-reason'] ?? status;
      await deps.store.putResource({ ...resource, status: 'failed', error: `stack ${status}: ${reason}` });
      return `resource ${app}/${name} failed`;
    }
    return `resource ${app}/${name}: ${status}`;
  }
  return `ignored: no resource for stack ${stackName}`;
}
