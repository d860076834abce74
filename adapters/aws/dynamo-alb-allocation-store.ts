/**
 * Where the ALB allocation lives: one item of the state table, written with a condition
 * on its revision so two Lambdas changing routes at once cannot lose each other's slots.
 */
import { type AlbAllocation, EMPTY_ALLOCATION } from '../../core/alb/allocation.ts';
import { awsCall } from './aws-errors.ts';
import { type TableOptions, plain } from './dynamo-table.ts';

export interface StoredAllocation {
  readonly allocation: AlbAllocation;
  /** ARNs of what was created: `tg:<name>` and `rule:<routeId>` */
  readonly arns: Readonly<Record<string, string>>;
  readonly revision: number;
}

export interface AllocationStore {
  load(): Promise<StoredAllocation>;
  /** ConflictError when someone saved since `expectedRevision`. */
  save(next: Omit<StoredAllocation, 'revision'>, expectedRevision: number): Promise<void>;
}

export class DynamoAllocationStore implements AllocationStore {
  private readonly table: TableOptions;

  constructor(table: TableOptions) {
    this.table = table;
  }

  async load(): Promise<StoredAllocation> {
    const out = await awsCall(
      'read the ALB allocation',
      () =>
        this.table.client.get({
          TableName: this.table.tableName,
          Key: { pk: 'ALB', sk: 'ALLOCATION' },
          ConsistentRead: true,
        }),
      this.table.backoff,
    );
    if (!out.Item) return { allocation: EMPTY_ALLOCATION, arns: {}, revision: 0 };
    const data = out.Item['data'] as Omit<StoredAllocation, 'revision'>;
    return { ...data, revision: Number(out.Item['revision']) };
  }

  async save(next: Omit<StoredAllocation, 'revision'>, expectedRevision: number): Promise<void> {
    await awsCall(
      'save the ALB allocation',
      () =>
        this.table.client.put({
          TableName: this.table.tableName,
          Item: { pk: 'ALB', sk: 'ALLOCATION', data: plain(next), revision: expectedRevision + 1 },
          ConditionExpression: 'attribute_not_exists(pk) OR #rev = :rev',
          ExpressionAttributeNames: { '#rev': 'revision' },
          ExpressionAttributeValues: { ':rev': expectedRevision },
        }),
      this.table.backoff,
    );
  }
}

/** The ARNs of a process type's target groups on every shard: its leader ones, or the others. */
export function targetGroupArnsOf(
  stored: Omit<StoredAllocation, 'revision'>,
  app: string,
  processType: string,
  which: { readonly leader: boolean },
): string[] {
  return stored.allocation.targetGroups
    .filter((t) => t.app === app && t.processType === processType && (t.leader === true) === which.leader)
    .map((t) => stored.arns[`tg:${t.name}`])
    .filter((a): a is string => a !== undefined);
}
