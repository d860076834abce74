import type { PushDecision, RefUpdate } from './types.ts';

/**
 * Whether a push deploys: only an update (not a deletion) of the app's branch does.
 * The answer for everything else says why, so the git host's delivery log explains it.
 */
export function decidePush(updates: readonly RefUpdate[], branch: string): PushDecision {
  const mine = updates.filter((u) => u.branch === branch);
  if (mine.length === 0) {
    const refs = updates.map((u) => u.ref).join(', ') || 'no refs';
    return { action: 'ignore', reason: `push to ${refs} ignored: the app deploys branch ${branch}` };
  }
  const last = mine[mine.length - 1]!;
  if (last.deleted || last.commit === null) {
    return { action: 'ignore', reason: `branch ${branch} was deleted: nothing to build` };
  }
  return { action: 'build', commit: last.commit, ref: last.ref };
}
