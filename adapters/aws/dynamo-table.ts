/**
 * The single DynamoDB table every AWS adapter shares: `pk` and `sk` strings, `data`
 * holding the domain object, and `expiresAt` (epoch seconds) for DynamoDB TTL.
 * Helpers here page through queries and batch deletes so the adapters never forget to.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type BackoffOptions, awsCall } from './aws-errors.ts';
import type { DynamoDocApi } from './dynamo-doc-api.ts';

export type Item = Record<string, unknown> & { pk: string; sk: string };

export interface TableOptions {
  readonly client: DynamoDocApi;
  readonly tableName: string;
  readonly backoff?: BackoffOptions;
}

/** Zero-padded so that string order is number order. */
export function pad(n: number): string {
  return String(n).padStart(12, '0');
}

/** Drops undefined fields, which DynamoDB refuses, and detaches the caller's object. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export async function queryAll(
  table: TableOptions,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  what: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await awsCall(
      what,
      () => table.client.query({ ...input, TableName: table.tableName, ExclusiveStartKey: start }),
      table.backoff,
    );
    items.push(...((page.Items ?? []) as Item[]));
    if (input.Limit !== undefined && items.length >= input.Limit) return items.slice(0, input.Limit);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Deletes keys 25 at a time (BatchWriteItem's limit), resending unprocessed ones. */
export async function deleteKeys(
  table: TableOptions,
  keys: readonly { pk: string; sk: string }[],
  what: string,
): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    let requests: { DeleteRequest: { Key: Record<string, unknown> } }[] = keys
      .slice(i, i + 25)
      .map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 8)
        throw new Error(`${what}: DynamoDB left ${requests.length} deletes unprocessed; retry`);
      const out = await awsCall(
        what,
        () => table.client.batchWrite({ RequestItems: { [table.tableName]: requests } }),
        table.backoff,
      );
      requests = (out.UnprocessedItems?.[table.tableName] ?? []) as typeof requests;
      if (requests.length > 0)
        await (table.backoff?.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(
          50 * 2 ** attempt,
        );
    }
  }
}
