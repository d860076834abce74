/**
 * The leader's state in the state table, per app and process type:
 *   LEADER#<app>#<type>  TASK#<taskId>   latest observation of each task (by ECS version)
 *   LEADER#<app>#<type>  TERM            { term, leaderId }, written only if the term read is still current;
 *                                        `published`: the last term whose leader reached Cloud Map and the ALB
 */
import { ConflictError } from '../../core/errors.ts';
import {
  type LeaderTerm,
  NO_TERM,
  type TaskObservation,
  mergeObservation,
} from '../../core/leader-term/term.ts';
import { awsCall } from './aws-errors.ts';
import { type TableOptions, plain, queryAll } from './dynamo-table.ts';

const pkOf = (app: string, processType: string) => `LEADER#${app}#${processType}`;

/** Stopped tasks are forgotten a day later (DynamoDB TTL). */
const STOPPED_TTL_SECONDS = 86_400;

export class DynamoLeaderStore {
  private readonly table: TableOptions;
  private readonly now: () => Date;

  constructor(table: TableOptions, now: () => Date = () => new Date()) {
    this.table = table;
    this.now = now;
  }

  /** Keeps the newer of the stored and incoming observation; safe under duplicates and races. */
  async recordObservation(
    app: string,
    processType: string,
    incoming: TaskObservation,
  ): Promise<TaskObservation> {
    const pk = pkOf(app, processType);
    const sk = `TASK#${incoming.taskId}`;
    for (let attempt = 1; ; attempt++) {
      const out = await awsCall(
        `read task ${incoming.taskId}`,
        () =>
          this.table.client.get({ TableName: this.table.tableName, Key: { pk, sk }, ConsistentRead: true }),
        this.table.backoff,
      );
      const stored = (out.Item?.['data'] as TaskObservation | undefined) ?? null;
      const merged = mergeObservation(stored, incoming);
      if (merged === stored) return stored;
      try {
        await awsCall(
          `record task ${incoming.taskId}`,
          () =>
            this.table.client.put({
              TableName: this.table.tableName,
              Item: plain({
                pk,
                sk,
                data: merged,
                version: merged.version,
                ...(merged.stopped
                  ? { expiresAt: Math.floor(this.now().getTime() / 1000) + STOPPED_TTL_SECONDS }
                  : {}),
              }),
              ...(stored
                ? {
                    ConditionExpression: '#version = :seen',
                    ExpressionAttributeNames: { '#version': 'version' },
                    ExpressionAttributeValues: { ':seen': stored.version },
                  }
                : { ConditionExpression: 'attribute_not_exists(pk)' }),
            }),
          this.table.backoff,
        );
        return merged;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 20) throw e;
      }
    }
  }

  async observations(app: string, processType: string): Promise<TaskObservation[]> {
    const items = await queryAll(
      this.table,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :task)',
        ExpressionAttributeValues: { ':pk': pkOf(app, processType), ':task': 'TASK#' },
        ConsistentRead: true,
      },
      `list tasks of ${app}/${processType}`,
    );
    return items.map((i) => i['data'] as TaskObservation);
  }

  async term(app: string, processType: string): Promise<LeaderTerm> {
    return (await this.termState(app, processType)).term;
  }

  /** The term and the last term whose leader was published (0 when none was, or an older one). */
  async termState(app: string, processType: string): Promise<{ term: LeaderTerm; published: number }> {
    const out = await awsCall(
      `read leader term of ${app}/${processType}`,
      () =>
        this.table.client.get({
          TableName: this.table.tableName,
          Key: { pk: pkOf(app, processType), sk: 'TERM' },
          ConsistentRead: true,
        }),
      this.table.backoff,
    );
    return {
      term: (out.Item?.['data'] as LeaderTerm | undefined) ?? NO_TERM,
      published: Number(out.Item?.['published'] ?? 0),
    };
  }

  /**
   * Records that `term`'s leader was published, if `term` is still the current one. A new
   * term's write replaces the whole item, so it starts unpublished.
   */
  async markPublished(app: string, processType: string, term: number): Promise<void> {
    await awsCall(
      `mark leader term ${term} of ${app}/${processType} published`,
      () =>
        this.table.client.update({
          TableName: this.table.tableName,
          Key: { pk: pkOf(app, processType), sk: 'TERM' },
          UpdateExpression: 'SET #published = :term',
          ConditionExpression: '#term = :term',
          ExpressionAttributeNames: { '#term': 'term', '#published': 'published' },
          ExpressionAttributeValues: { ':term': term },
        }),
      this.table.backoff,
    ).catch((e: unknown) => {
      // A newer term landed meanwhile: its writer publishes it.
      if (!(e instanceof ConflictError)) throw e;
    });
  }

  /** Writes `next` only if the stored term is still `current.term`; ConflictError otherwise. */
  async writeTerm(app: string, processType: string, current: LeaderTerm, next: LeaderTerm): Promise<void> {
    await awsCall(
      `write leader term of ${app}/${processType}`,
      () =>
        this.table.client.put({
          TableName: this.table.tableName,
          Item: plain({ pk: pkOf(app, processType), sk: 'TERM', data: next, term: next.term }),
          ...(current.term === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#term = :term',
                ExpressionAttributeNames: { '#term': 'term' },
                ExpressionAttributeValues: { ':term': current.term },
              }),
        }),
      this.table.backoff,
    );
  }
}
