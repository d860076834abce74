import { type DeployStrategyFn, startHealthy } from './plan.ts';

/** Start every new instance, wait until all are healthy, then retire all old ones. */
export const allAtOnce: DeployStrategyFn = async (plan, actions) => {
  const results = await Promise.allSettled(
    Array.from({ length: plan.desired }, () => startHealthy(actions, plan.processType)),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const t = actions.now();
  await Promise.all(plan.old.map((i) => actions.retire(i)));
  if (plan.old.length)
    actions.step({ name: 'switch', ms: actions.now() - t, detail: `${plan.old.length} retired` });
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
};
