/**
 * Keeps the leader of each process type right from ECS task events: record the task's
 * observation, elect from all observations, and move to the next term with a conditional
 * write. The writer that wins the term then points Cloud Map (`leader.TYPE.APP`) and the
 * ALB's leader target groups (leader-only routes) at its leader; a loser re-reads and
 * either agrees or tries the next term. Since neither Cloud Map nor ELB has a conditional
 * write, the winner re-reads the term after publishing and publishes again while it moved
 * meanwhile: whoever publishes last has seen the newest term, so the last state is right.
 * A term is marked published once that holds; a writer that died before (a Lambda timing
 * out) leaves it unpublished, and the next event for the type, a retry of the same one
 * included, publishes it.
 */
import { ConflictError, WharfError } from '../../core/errors.ts';
import { type LeaderTerm, type TaskObservation, electLeader, nextTerm } from '../../core/leader-term/term.ts';
import type { DynamoLeaderStore } from './dynamo-leader-store.ts';

/** Where a leader is published: Cloud Map's leader name, the ALB's leader target groups. */
export interface LeaderSink {
  setLeader(
    app: string,
    processType: string,
    leader: { id: string; host: string } | null,
    term: number,
  ): Promise<void>;
}

export interface LeaderKeeperOptions {
  readonly store: Pick<
    DynamoLeaderStore,
    'recordObservation' | 'observations' | 'term' | 'termState' | 'writeTerm' | 'markPublished'
  >;
  readonly discovery: LeaderSink;
  /**
   * The ALB's leader target groups.
   * @default - none: leader-only routes are not kept
   */
  readonly targets?: LeaderSink;
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

  /** Brings the term, Cloud Map and the ALB in line with the observations; idempotent. */
  async reconcile(app: string, processType: string): Promise<LeaderTerm> {
    for (let attempt = 1; ; attempt++) {
      const { term: current, published } = await this.o.store.termState(app, processType);
      const observations = await this.o.store.observations(app, processType);
      const next = nextTerm(current, electLeader(observations));
      if (next === null) {
        return published < current.term ? this.publishFrom(app, processType, current, observations) : current;
      }
      try {
        await this.o.store.writeTerm(app, processType, current, next);
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= this.maxAttempts()) throw e;
        continue;
      }
      return this.publishFrom(app, processType, next, observations);
    }
  }

  /**
   * Publishes the current term's leader again, e.g. to a leader target group made after
   * the election. Safe beside `reconcile`: it too re-checks the term after publishing.
   */
  async publish(app: string, processType: string): Promise<LeaderTerm> {
    const term = await this.o.store.term(app, processType);
    return this.publishFrom(app, processType, term, await this.o.store.observations(app, processType));
  }

  private async publishFrom(
    app: string,
    processType: string,
    term: LeaderTerm,
    observations: readonly TaskObservation[],
  ): Promise<LeaderTerm> {
    let published = term;
    let seen = observations;
    for (let round = 1; ; round++) {
      const leader = seen.find((o) => o.taskId === published.leaderId);
      const target = leader?.host ? { id: leader.taskId, host: leader.host } : null;
      await this.o.discovery.setLeader(app, processType, target, published.term);
      await this.o.targets?.setLeader(app, processType, target, published.term);
      const after = await this.o.store.term(app, processType);
      if (after.term === published.term) {
        await this.o.store.markPublished(app, processType, published.term);
        return published;
      }
      // A newer term landed while publishing: make sure its leader is the one left registered.
      if (round >= this.maxAttempts()) {
        throw new WharfError(
          'unavailable',
          `the leader of ${app}/${processType} kept changing while it was published (term ${after.term}); the next task event retries`,
        );
      }
      published = after;
      seen = await this.o.store.observations(app, processType);
    }
  }

  private maxAttempts(): number {
    return this.o.maxAttempts ?? 20;
  }
}
