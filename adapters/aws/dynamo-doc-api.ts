/**
 * The DynamoDB calls the adapters make, in the DocumentClient's shape (plain values, not
 * AttributeValue maps). Two implementations: `httpDocApi` over the small JSON client
 * (what the Lambda functions use: no SDK on their cold path) and `sdkDocApi` over the
 * SDK's DocumentClient (dynamo-sdk-doc-api.ts). The input and output types are the SDK's,
 * imported as types only.
 */
import type {
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { type marshallOptions, marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AwsJsonClient } from './aws-json-client.ts';

type Out<T> = Omit<T, '$metadata'>;

export interface DynamoDocApi {
  get(input: GetCommandInput): Promise<Out<GetCommandOutput>>;
  put(input: PutCommandInput): Promise<Out<PutCommandOutput>>;
  delete(input: DeleteCommandInput): Promise<Out<DeleteCommandOutput>>;
  update(input: UpdateCommandInput): Promise<Out<UpdateCommandOutput>>;
  query(input: QueryCommandInput): Promise<Out<QueryCommandOutput>>;
  batchWrite(input: BatchWriteCommandInput): Promise<Out<BatchWriteCommandOutput>>;
}

type Plain = Record<string, unknown>;
type Wire = Record<string, unknown>;

/** The fields of each call that hold values, which the wire wants as AttributeValue maps. */
const VALUE_FIELDS = ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const;

/** DynamoDB's wire format over `client` (an AwsJsonClient for `dynamodb`, JSON 1.0). */
export function httpDocApi(client: AwsJsonClient, options: marshallOptions = {}): DynamoDocApi {
  const toWire = (input: object): Wire => {
    const wire: Wire = { ...input };
    for (const field of VALUE_FIELDS) {
      const value = wire[field];
      if (value !== undefined) wire[field] = marshall(value as Plain, options);
    }
    return wire;
  };
  const item = (value: unknown) => (value === undefined ? undefined : unmarshall(value as never));
  const fromWire = (out: Wire): Wire => {
    const plain: Wire = { ...out };
    for (const field of ['Item', 'Attributes', 'LastEvaluatedKey'] as const) {
      if (plain[field] !== undefined) plain[field] = item(plain[field]);
    }
    if (Array.isArray(plain['Items'])) plain['Items'] = (plain['Items'] as unknown[]).map(item);
    return plain;
  };
  const call = async <T>(operation: string, input: object): Promise<T> =>
    fromWire(await client.call<Wire>(operation, toWire(input))) as T;
  return {
    get: (input) => call('GetItem', input),
    put: (input) => call('PutItem', input),
    delete: (input) => call('DeleteItem', input),
    update: (input) => call('UpdateItem', input),
    query: (input) => call('Query', input),
    batchWrite: async (input) => {
      const requests = (byTable: Record<string, readonly Plain[]>, convert: (v: unknown) => unknown) =>
        Object.fromEntries(
          Object.entries(byTable).map(([table, list]) => [
            table,
            list.map((r) => {
              const put = r['PutRequest'] as { Item: unknown } | undefined;
              const del = r['DeleteRequest'] as { Key: unknown } | undefined;
              return {
                ...(put ? { PutRequest: { Item: convert(put.Item) } } : {}),
                ...(del ? { DeleteRequest: { Key: convert(del.Key) } } : {}),
              };
            }),
          ]),
        );
      const out = await client.call<Wire>('BatchWriteItem', {
        ...input,
        RequestItems: requests(input.RequestItems as never, (v) => marshall(v as Plain, options)),
      });
      const unprocessed = out['UnprocessedItems'] as Record<string, Plain[]> | undefined;
      return {
        ...out,
        UnprocessedItems: unprocessed ? requests(unprocessed, item) : undefined,
      } as Out<BatchWriteCommandOutput>;
    },
  };
}
