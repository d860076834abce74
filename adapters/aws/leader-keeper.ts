/**
 * Keeps `leader.TYPE.APP` right from ECS task events: record the task's observation,
 * elect from all observations, and move to the next term with a conditional write. The
 * writer that wins the term then points Cloud Map at its leader; a loser re-reads and
 * either agrees or tries the next term. Since Cloud Map has no conditional write, the
 * winner re-reads the term after registering and repeats if it moved meanwhile.
 */
import { ConflictError } from '../../core/errors.ts';
import { type LeaderTerm, type TaskObservation, electLeader, nextTerm } from '../../core/leader-term/term.ts';
import type { CloudMapDiscovery } from './cloudmap-discovery.ts';
import type { DynamoLeaderStore } from './dynamo-leader-store.ts';

export interface LeaderKeeperOptions {
  readonly store: DynamoLeaderStore;
  readonly discovery: Pick<CloudMapDiscovery, 'setLeader'>;
  readonly maxAttempts?: number;
}

export class LeaderKeeper {
  private readonly o: LeaderKeeperOptions;

  constructor(options: LeaderKeeperOptions) {
    this.o = options;
  }

  async onTask(app: string, processType: string, observation: TaskObservation): Promise<LeaderTerm> {
    await this.o.store.recordObservation(app, processType, observation);
    return this.reconcile(app, processType);
  }

  /** Brings the term and Cloud Map in line with the observations; idempotent. */
  async reconcile(app: string, processType: string): Promise<LeaderTerm> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.o.store.term(app, processType);
      const observations = await this.o.store.observations(app, processType);
      const elected = electLeader(observations);
      const next = nextTerm(current, elected);
      if (next === null) return current;
      try {
        await this.o.store.writeTerm(app, processType, current, next);
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= (this.o.maxAttempts ?? 20)) throw e;
        continue;
      }
      const leader = observations.find((o) => o.taskId === next.leaderId);
      await this.o.discovery.setLeader(
        app,
        processType,
        leader?.host ? { id: leader.taskId, host: leader.host } : null,
        next.term,
      );
      const after = await this.o.store.term(app, processType);
      if (after.term === next.term) return next;
      // A newer term landed while Cloud Map was being updated: make sure its leader is the one registered.
      const newer = (await this.o.store.observations(app, processType)).find(
        (o) => o.taskId === after.leaderId,
      );
      await this.o.discovery.setLeader(
        app,
        processType,
        newer?.host ? { id: newer.taskId, host: newer.host } : null,
        after.term,
      );
      return after;
    }
  }
}
