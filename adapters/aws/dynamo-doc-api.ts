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
/** the legacy parameters (and item collection metrics) httpDocApi does not marshal: refused by type */
type In<T> = Omit<
  T,
  | 'Expected'
  | 'AttributeUpdates'
  | 'KeyConditions'
  | 'QueryFilter'
  | 'ConditionalOperator'
  | 'AttributesToGet'
  | 'ReturnItemCollectionMetrics'
>;

export interface DynamoDocApi {
  get(input: In<GetCommandInput>): Promise<Out<GetCommandOutput>>;
  put(input: In<PutCommandInput>): Promise<Out<PutCommandOutput>>;
  delete(input: In<DeleteCommandInput>): Promise<Out<DeleteCommandOutput>>;
  update(input: In<UpdateCommandInput>): Promise<Out<UpdateCommandOutput>>;
  query(input: In<QueryCommandInput>): Promise<Out<QueryCommandOutput>>;
  batchWrite(input: In<BatchWriteCommandInput>): Promise<Out<BatchWriteCommandOutput>>;
}

type Plain = Record<string, unknown>;
type Wire = Record<string, unknown>;
type AttributeValue = Record<string, unknown>;

/** The fields of each call that hold values, which the wire wants as AttributeValue maps. */
const VALUE_FIELDS = ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const;

/**
 * Binary (`B`, `BS`, at any depth) travels as base64 in the JSON protocol: `marshall` leaves
 * bytes, which the SDK's serializer encodes, and `unmarshall` wants bytes back.
 */
function mapBinary(av: AttributeValue, convert: (v: unknown) => unknown): AttributeValue {
  if ('B' in av) return { B: convert(av['B']) };
  if ('BS' in av) return { BS: (av['BS'] as unknown[]).map(convert) };
  if ('M' in av) return { M: mapBinaryIn(av['M'] as Record<string, AttributeValue>, convert) };
  if ('L' in av) return { L: (av['L'] as AttributeValue[]).map((v) => mapBinary(v, convert)) };
  return av;
}

function mapBinaryIn(
  values: Record<string, AttributeValue>,
  convert: (v: unknown) => unknown,
): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(values)) out[k] = mapBinary(v, convert);
  return out;
}

const toBase64 = (v: unknown) => {
  const bytes = v as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
};
const fromBase64 = (v: unknown) => new Uint8Array(Buffer.from(v as string, 'base64'));

/** DynamoDB's JSON protocol, for `new AwsJsonClient({ ...DYNAMODB_PROTOCOL, region, credentials })`. */
export const DYNAMODB_PROTOCOL = {
  service: 'dynamodb',
  serviceId: 'DYNAMODB',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
} as const;

/** DynamoDB's wire format over `client` (an AwsJsonClient for `dynamodb`, JSON 1.0). */
export function httpDocApi(client: AwsJsonClient, options: marshallOptions = {}): DynamoDocApi {
  const values = (plain: unknown) =>
    mapBinaryIn(marshall(plain as Plain, options) as unknown as Record<string, AttributeValue>, toBase64);
  const toWire = (input: object): Wire => {
    const wire: Wire = { ...input };
    for (const field of VALUE_FIELDS) {
      const value = wire[field];
      if (value !== undefined) wire[field] = values(value);
    }
    return wire;
  };
  const item = (value: unknown) =>
    value === undefined
      ? undefined
      : unmarshall(mapBinaryIn(value as Record<string, AttributeValue>, fromBase64) as never);
  const fromWire = (out: Wire): Wire => {
    const plain: Wire = { ...out };
    for (const field of ['Item', 'Attributes', 'LastEvaluatedKey'] as const) {
      if (plain[field] !== undefined) plain[field] = item(plain[field]);
    }
    if (Array.isArray(plain['Items'])) plain['Items'] = (plain['Items'] as unknown[]).map(item);
    return plain;
  };
  /**
   * The old item a failed condition returns (ReturnValuesOnConditionCheckFailure) stays in
   * AttributeValues, as lib-dynamodb leaves it, with binary as bytes as the SDK reads it.
   */
  const send = async (operation: string, input: Wire): Promise<Wire> => {
    try {
      return await client.call<Wire>(operation, input);
    } catch (e) {
      const failed = e as { Item?: unknown };
      if (typeof failed?.Item === 'object' && failed.Item !== null) {
        failed.Item = mapBinaryIn(failed.Item as Record<string, AttributeValue>, fromBase64);
      }
      throw e;
    }
  };
  const call = async <T>(operation: string, input: object): Promise<T> =>
    fromWire(await send(operation, toWire(input))) as T;
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
      const out = await send('BatchWriteItem', {
        ...input,
        RequestItems: requests(input.RequestItems as never, values),
      });
      const unprocessed = out['UnprocessedItems'] as Record<string, Plain[]> | undefined;
      return {
        ...out,
        UnprocessedItems: unprocessed ? requests(unprocessed, item) : undefined,
      } as Out<BatchWriteCommandOutput>;
    },
  };
}
