import type { DeployStep, Instance } from '../domain.ts';
import type { HealthResult } from '../runtime.ts';

/** What a strategy may do; the deployer gives it these, bound to one deployment. */
export interface DeployActions {
  /** starts one instance of the new release */
  startNew(processType: string): Promise<Instance>;
  /** waits for an instance's health check */
  waitHealthy(instance: Instance): Promise<HealthResult>;
  /** takes an old instance out of the router, lets requests in flight finish, stops it */
  retire(instance: Instance): Promise<void>;
  step(step: DeployStep): void;
  now(): number;
}

export interface TypePlan {
  readonly processType: string;
  readonly desired: number;
  readonly old: readonly Instance[];
}

export type DeployStrategyFn = (plan: TypePlan, actions: DeployActions) => Promise<Instance[]>;

export class InstanceFailedError extends Error {
  readonly result: Extract<HealthResult, { ok: false }>;
  readonly instance: Instance;
  constructor(instance: Instance, result: Extract<HealthResult, { ok: false }>) {
    super(result.reason);
    this.name = 'InstanceFailedError';
    this.instance = instance;
    this.result = result;
  }
}

export async function startHealthy(actions: DeployActions, processType: string): Promise<Instance> {
  const t0 = actions.now();
  const instance = await actions.startNew(processType);
  const t1 = actions.now();
  actions.step({ name: 'start', ms: t1 - t0, detail: instance.id });
  const result = await actions.waitHealthy(instance);
  actions.step({ name: 'health', ms: actions.now() - t1, detail: instance.id });
  if (!result.ok) throw new InstanceFailedError(instance, result);
  return instance;
}
