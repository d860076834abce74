/**
 * DynamoDB's JSON 1.0 operations on a FakeTable: wire AttributeValue maps in, FakeTable's plain
 * objects through, wire maps out. Parameters FakeTable does not implement are refused with a
 * ValidationException naming them, because a fake that ignores a FilterExpression would let a
 * wrong client pass.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { FakeTable } from './fake-dynamo.ts';
import {
  checkAttributeMap,
  checkAttributeValues,
  checkExpressionParameters,
  checkKey,
  checkNameMap,
  DynamoWireError,
  validation,
} from './fake-dynamo-validation.ts';

export { DynamoWireError };

const VALIDATION = 'com.amazon.coral.validate#ValidationException';

export type Wire = Record<string, unknown>;
type Plain = Record<string, unknown>;

/** base64 `B`/`BS` values of the wire become bytes, which is what unmarshall expects */
function decodeBinary(av: unknown): unknown {
  if (typeof av !== 'object' || av === null) return av;
  const v = av as Record<string, unknown>;
  if (typeof v['B'] === 'string') return { B: Buffer.from(v['B'], 'base64') };
  if (Array.isArray(v['BS'])) return { BS: v['BS'].map((b) => Buffer.from(String(b), 'base64')) };
  if (Array.isArray(v['L'])) return { L: v['L'].map(decodeBinary) };
  if (typeof v['M'] === 'object' && v['M'] !== null) return { M: mapValues(v['M'] as Wire, decodeBinary) };
  return av;
}

function encodeBinary(av: AttributeValue): unknown {
  if (av.B) return { B: Buffer.from(av.B).toString('base64') };
  if (av.BS) return { BS: av.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (av.L) return { L: av.L.map(encodeBinary) };
  if (av.M) return { M: mapValues(av.M, (x) => encodeBinary(x as AttributeValue)) };
  return av;
}

function mapValues(o: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** A wire attribute map (`{"pk": {"S": "a"}}`) as a plain object (`{pk: "a"}`). */
function fromWire(value: unknown, field: string): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a map of AttributeValues`,
    );
  }
  try {
    return unmarshall(mapValues(value as Wire, decodeBinary) as Record<string, AttributeValue>);
  } catch (e) {
    throw new DynamoWireError(
      400,
      VALIDATION,
      `Invalid AttributeValue in '${field}': ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

function toWire(item: Plain): Wire {
  return mapValues(marshall(item, { removeUndefinedValues: true }), (av) =>
    encodeBinary(av as AttributeValue),
  );
}

export function required(body: Wire, field: string): unknown {
  if (body[field] === undefined || body[field] === null) {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return body[field];
}

function refuseUnsupported(body: Wire, fields: string[]): void {
  const present = fields.filter((f) => body[f] !== undefined);
  if (present.length > 0) throw validation(`fake DynamoDB does not implement ${present.join(', ')}`);
}

function returnValues(body: Wire, supported: string[]): string {
  const rv = (body['ReturnValues'] as string | undefined) ?? 'NONE';
  if (!supported.includes(rv)) {
    throw validation(`fake DynamoDB supports ReturnValues ${supported.join(', ')} here, not ${rv}`);
  }
  return rv;
}

/** The expression parameters shared by conditional writes and queries, values unmarshalled. */
function expressions(body: Wire) {
  const values = body['ExpressionAttributeValues'];
  return {
    ConditionExpression: body['ConditionExpression'] as string | undefined,
    ExpressionAttributeNames: body['ExpressionAttributeNames'] as Record<string, string> | undefined,
    ExpressionAttributeValues:
      values === undefined ? undefined : fromWire(values, 'expressionAttributeValues'),
  };
}

export type Operation = (table: FakeTable, body: Wire) => Promise<Wire>;

/** What one operation's body holds, for the checks every operation makes before FakeTable runs. */
interface Shape {
  /** the attribute maps among its fields, with what the key schema wants of them */
  readonly maps: readonly { field: string; key?: 'item' | 'key'; prefix?: string }[];
  /** the expression parameters the operation takes */
  readonly expressions: readonly string[];
  /** parameters FakeTable does not implement */
  readonly unsupported: readonly string[];
}

/**
 * The service's checks in its order: the JSON reader (SerializationException), then parameters,
 * values, expressions, and last the key schema, which needs the table.
 */
function accept(body: Wire, shape: Shape): void {
  for (const { field } of shape.maps) checkAttributeMap(body[field]);
  checkAttributeMap(body['ExpressionAttributeValues']);
  checkNameMap(body['ExpressionAttributeNames']);
  refuseUnsupported(body, [...shape.unsupported]);
  for (const { field, prefix } of shape.maps) checkAttributeValues(body[field], prefix);
  checkExpressionParameters(body, shape.expressions);
  for (const { field, key } of shape.maps) {
    const map = body[field] as Wire | undefined | null;
    if (key && map != null) checkKey(map, key);
  }
}

const STARTING_KEY = 'The provided starting key is invalid: ';

const LEGACY = ['Expected', 'ConditionalOperator', 'AttributesToGet', 'AttributeUpdates', 'KeyConditions'];

export const operations: Record<string, Operation> = {
  async GetItem(table, body) {
    accept(body, {
      maps: [{ field: 'Key', key: 'key' }],
      expressions: ['ProjectionExpression'],
      unsupported: ['ProjectionExpression', ...LEGACY],
    });
    const out = await table.get({ Key: fromWire(required(body, 'Key'), 'key') });
    return out.Item ? { Item: toWire(out.Item) } : {};
  },
  async PutItem(table, body) {
    accept(body, {
      maps: [{ field: 'Item', key: 'item' }],
      expressions: ['ConditionExpression'],
      unsupported: LEGACY,
    });
    returnValues(body, ['NONE']);
    await table.put({ Item: fromWire(required(body, 'Item'), 'item'), ...expressions(body) });
    return {};
  },
  async DeleteItem(table, body) {
    accept(body, {
      maps: [{ field: 'Key', key: 'key' }],
      expressions: ['ConditionExpression'],
      unsupported: LEGACY,
    });
    returnValues(body, ['NONE']);
    await table.delete({ Key: fromWire(required(body, 'Key'), 'key'), ...expressions(body) });
    return {};
  },
  async UpdateItem(table, body) {
    accept(body, {
      maps: [{ field: 'Key', key: 'key' }],
      expressions: ['UpdateExpression', 'ConditionExpression'],
      unsupported: LEGACY,
    });
    const rv = returnValues(body, ['NONE', 'ALL_NEW', 'UPDATED_NEW']);
    const out = await table.update({
      Key: fromWire(required(body, 'Key'), 'key'),
      UpdateExpression: required(body, 'UpdateExpression') as string,
      ReturnValues: rv,
      ...expressions(body),
    });
    if (rv === 'NONE' || !out.Attributes) return {};
    if (rv === 'ALL_NEW') return { Attributes: toWire(out.Attributes) };
    const updated = updatedNames(body['UpdateExpression'] as string, body['ExpressionAttributeNames']);
    return {
      Attributes: toWire(Object.fromEntries(Object.entries(out.Attributes).filter(([k]) => updated.has(k)))),
    };
  },
  async Query(table, body) {
    accept(body, {
      maps: [{ field: 'ExclusiveStartKey', key: 'key', prefix: STARTING_KEY }],
      expressions: ['ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'],
      unsupported: [
        'IndexName',
        'FilterExpression',
        'ProjectionExpression',
        'Select',
        'QueryFilter',
        ...LEGACY,
      ],
    });
    const { ExpressionAttributeNames, ExpressionAttributeValues } = expressions(body);
    const start = body['ExclusiveStartKey'];
    const out = await table.query({
      KeyConditionExpression: required(body, 'KeyConditionExpression') as string,
      ExpressionAttributeNames,
      ExpressionAttributeValues,
      ScanIndexForward: body['ScanIndexForward'] as boolean | undefined,
      Limit: body['Limit'] as number | undefined,
      ExclusiveStartKey: start === undefined ? undefined : fromWire(start, 'exclusiveStartKey'),
    });
    const items = out.Items.map(toWire);
    const last = out.LastEvaluatedKey;
    return {
      Items: items,
      Count: items.length,
      ScannedCount: items.length,
      ...(last && { LastEvaluatedKey: toWire(last) }),
    };
  },
  async BatchWriteItem(table, body) {
    type Request = { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } };
    const requestItems = required(body, 'RequestItems') as Record<string, Request[]>;
    const all = Object.values(requestItems).flat();
    for (const r of all) checkAttributeMap(r.PutRequest?.Item ?? r.DeleteRequest?.Key);
    for (const r of all) checkAttributeValues(r.PutRequest?.Item ?? r.DeleteRequest?.Key);
    for (const r of all) {
      if (r.PutRequest?.Item) checkKey(r.PutRequest.Item as Wire, 'item');
      else if (r.DeleteRequest?.Key) checkKey(r.DeleteRequest.Key as Wire, 'key');
    }
    const plain = mapValues(requestItems, (requests) =>
      (requests as Request[]).map((r) =>
        r.PutRequest
          ? { PutRequest: { Item: fromWire(r.PutRequest.Item, 'putRequest.item') } }
          : { DeleteRequest: { Key: fromWire(r.DeleteRequest?.Key, 'deleteRequest.key') } },
      ),
    ) as Parameters<FakeTable['batchWrite']>[0]['RequestItems'];
    const out = await table.batchWrite({ RequestItems: plain });
    const unprocessed = mapValues(out.UnprocessedItems, (requests) =>
      (requests as { PutRequest?: { Item: Plain }; DeleteRequest?: { Key: Plain } }[]).map((r) =>
        r.PutRequest
          ? { PutRequest: { Item: toWire(r.PutRequest.Item) } }
          : { DeleteRequest: { Key: toWire(r.DeleteRequest!.Key) } },
      ),
    );
    return { UnprocessedItems: unprocessed };
  },
};

/** UPDATED_NEW: the top-level attributes that the SET and ADD clauses of `expr` write. */
function updatedNames(expr: string, names: unknown): Set<string> {
  const aliases = (names ?? {}) as Record<string, string>;
  const out = new Set<string>();
  for (const clause of expr.split(/\b(?=SET\b|ADD\b|REMOVE\b|DELETE\b)/)) {
    const m = /^(SET|ADD)\s+(.*)$/s.exec(clause.trim());
    if (!m) continue;
    for (const action of m[2]!.split(',')) {
      const path = /^\s*([#A-Za-z_][A-Za-z0-9_]*)/.exec(action)?.[1];
      if (path) out.add(path.startsWith('#') ? (aliases[path] ?? path) : path);
    }
  }
  return out;
}
