import type { Instance } from '../domain.ts';
import { type DeployStrategyFn, startHealthy } from './plan.ts';

/** Flynn's default: start one new instance, wait for it to be healthy, retire one old, repeat. */
export const oneByOne: DeployStrategyFn = async (plan, actions) => {
  const old = [...plan.old];
  const started: Instance[] = [];
  for (let i = 0; i < plan.desired; i++) {
    started.push(await startHealthy(actions, plan.processType));
    const retiring = old.shift();
    if (retiring) {
      const t = actions.now();
      await actions.retire(retiring);
      actions.step({ name: 'switch', ms: actions.now() - t, detail: retiring.id });
    }
  }
  for (const retiring of old) {
    const t = actions.now();
    await actions.retire(retiring);
    actions.step({ name: 'switch', ms: actions.now() - t, detail: retiring.id });
  }
  return started;
};
