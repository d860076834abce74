/**
 * A small in-memory DynamoDB table behind aws-sdk-client-mock: enough of the real
 * semantics (condition and key-condition expressions, SET/ADD/REMOVE updates, paging,
 * unprocessed batch items) that adapters are tested against behaviour, not call scripts.
 * Every call yields to the event loop first, so concurrent callers really interleave.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { sdkDocApi } from '../../adapters/aws/dynamo-sdk-doc-api.ts';
import { installEndpoint, LAMBDA_TEST_CREDENTIALS } from './fake-aws-server.ts';
import { startFakeDynamoHttp } from './fake-dynamo-http.ts';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

export class FakeTable {
  readonly items = new Map<string, Item>();
  /** items per Query page, small so that paging is always exercised */
  pageSize = 3;
  /** BatchWrite leaves the last request of its first call unprocessed, as DynamoDB may */
  leaveOneUnprocessed = true;
  /** throw this many ThrottlingExceptions before serving calls */
  throttleNext = 0;
  calls = 0;

  private key(k: Item): string {
    return `${String(k['pk'])}\u0000${String(k['sk'])}`;
  }

  private async enter(): Promise<void> {
    this.calls++;
    await new Promise((r) => setImmediate(r));
    if (this.throttleNext > 0) {
      this.throttleNext--;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
  }

  private check(item: Item | undefined, expr: string | undefined, names: Names, values: Values): void {
    if (!expr) return;
    if (!evaluate(expr, item ?? {}, names, values)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
  }

  async get(input: { Key: Item }) {
    await this.enter();
    const item = this.items.get(this.key(input.Key));
    return { Item: item ? structuredClone(item) : undefined };
  }

  async put(input: {
    Item: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
  }) {
    await this.enter();
    const k = this.key(input.Item);
    this.check(
      this.items.get(k),
      input.ConditionExpression,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    this.items.set(k, structuredClone(input.Item));
    return {};
  }

  async delete(input: {
    Key: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
  }) {
    await this.enter();
    const k = this.key(input.Key);
    this.check(
      this.items.get(k),
      input.ConditionExpression,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    this.items.delete(k);
    return {};
  }

  async update(input: {
    Key: Item;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ReturnValues?: string;
  }) {
    await this.enter();
    const k = this.key(input.Key);
    const before = this.items.get(k);
    this.check(
      before,
      input.ConditionExpression,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    const after = applyUpdate(
      structuredClone(before ?? { ...input.Key }),
      input.UpdateExpression,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    this.items.set(k, after);
    return { Attributes: input.ReturnValues === 'NONE' ? undefined : structuredClone(after) };
  }

  async query(input: {
    KeyConditionExpression: string;
    ExpressionAttributeNames?: Names;
    ExpressionAttributeValues?: Values;
    ScanIndexForward?: boolean;
    Limit?: number;
    ExclusiveStartKey?: Item;
  }) {
    await this.enter();
    let matches = [...this.items.values()]
      .filter((i) =>
        evaluate(
          input.KeyConditionExpression,
          i,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        ),
      )
      .sort((a, b) => (String(a['sk']) < String(b['sk']) ? -1 : 1));
    if (input.ScanIndexForward === false) matches.reverse();
    if (input.ExclusiveStartKey) {
      const at = matches.findIndex((i) => this.key(i) === this.key(input.ExclusiveStartKey!));
      matches = matches.slice(at + 1);
    }
    const size = Math.min(this.pageSize, input.Limit ?? Number.POSITIVE_INFINITY);
    const page = matches.slice(0, size);
    const more = matches.length > size;
    const last = page[page.length - 1];
    return {
      Items: page.map((i) => structuredClone(i)),
      LastEvaluatedKey: more && last ? { pk: last['pk'], sk: last['sk'] } : undefined,
    };
  }

  async batchWrite(input: {
    RequestItems: Record<string, { DeleteRequest?: { Key: Item }; PutRequest?: { Item: Item } }[]>;
  }) {
    await this.enter();
    const unprocessed: Record<string, unknown[]> = {};
    for (const [table, requests] of Object.entries(input.RequestItems)) {
      const todo = [...requests];
      if (this.leaveOneUnprocessed && todo.length > 1) {
        this.leaveOneUnprocessed = false;
        unprocessed[table] = [todo.pop()];
      }
      for (const r of todo) {
        if (r.DeleteRequest) this.items.delete(this.key(r.DeleteRequest.Key));
        if (r.PutRequest) this.items.set(this.key(r.PutRequest.Item), structuredClone(r.PutRequest.Item));
      }
    }
    return { UnprocessedItems: unprocessed };
  }
}

/** The adapters' DynamoDB calls over an SDK document client whose every call is served by `table`. */
export function fakeDocumentClient(table: FakeTable) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const mock = mockClient(client);
  mock.on(GetCommand).callsFake((i) => table.get(i));
  mock.on(PutCommand).callsFake((i) => table.put(i));
  mock.on(DeleteCommand).callsFake((i) => table.delete(i));
  mock.on(UpdateCommand).callsFake((i) => table.update(i));
  mock.on(QueryCommand).callsFake((i) => table.query(i));
  mock.on(BatchWriteCommand).callsFake((i) => table.batchWrite(i));
  return { client: sdkDocApi(client), mock };
}

// --- expressions ------------------------------------------------------------------------

const TOKEN = /\s*(<>|<=|>=|[=<>(),+-]|[#:]?[A-Za-z_][A-Za-z0-9_.]*)/y;

function tokenize(expr: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    if (/^\s*$/.test(expr.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(expr);
    if (!m) throw new Error(`fake DynamoDB cannot parse "${expr}" at ${TOKEN.lastIndex}`);
    tokens.push(m[1]!);
  }
  return tokens;
}

type Operand = { path: string } | { value: unknown };

class Parser {
  private i = 0;
  private readonly tokens: string[];
  private readonly names: Names;
  private readonly values: Values;
  constructor(expr: string, names: Names, values: Values) {
    this.tokens = tokenize(expr);
    this.names = names;
    this.values = values;
  }
  peek(): string | undefined {
    return this.tokens[this.i];
  }
  next(): string {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new Error('fake DynamoDB: unexpected end of expression');
    return t;
  }
  expect(t: string): void {
    const got = this.next();
    if (got.toUpperCase() !== t) throw new Error(`fake DynamoDB: expected ${t}, got ${got}`);
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  operand(): Operand {
    const t = this.next();
    if (t.startsWith(':')) {
      if (!this.values || !(t in this.values)) throw new Error(`fake DynamoDB: missing value ${t}`);
      return { value: this.values[t] };
    }
    if (t.startsWith('#')) {
      const name = this.names?.[t];
      if (name === undefined) throw new Error(`fake DynamoDB: missing name ${t}`);
      return { path: name };
    }
    return { path: t };
  }
}

function read(item: Item, o: Operand): unknown {
  return 'value' in o ? o.value : item[o.path];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (a === undefined || b === undefined) return op === '<>' ? a !== b : false;
  if (op === '=') return JSON.stringify(a) === JSON.stringify(b);
  if (op === '<>') return JSON.stringify(a) !== JSON.stringify(b);
  if (typeof a !== typeof b) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function evaluate(expr: string, item: Item, names: Names, values: Values): boolean {
  const p = new Parser(expr, names, values);
  const orExpr = (): boolean => {
    let v = andExpr();
    while (p.peek()?.toUpperCase() === 'OR') {
      p.next();
      const r = andExpr();
      v = v || r;
    }
    return v;
  };
  const andExpr = (): boolean => {
    let v = notExpr();
    while (p.peek()?.toUpperCase() === 'AND') {
      p.next();
      const r = notExpr();
      v = v && r;
    }
    return v;
  };
  const notExpr = (): boolean => {
    if (p.peek()?.toUpperCase() === 'NOT') {
      p.next();
      return !notExpr();
    }
    return primary();
  };
  const primary = (): boolean => {
    if (p.peek() === '(') {
      p.next();
      const v = orExpr();
      p.expect(')');
      return v;
    }
    const fn = p.peek();
    if (fn === 'attribute_exists' || fn === 'attribute_not_exists' || fn === 'begins_with') {
      p.next();
      p.expect('(');
      const a = p.operand();
      if (fn === 'begins_with') {
        p.expect(',');
        const b = p.operand();
        p.expect(')');
        const x = read(item, a);
        const y = read(item, b);
        return typeof x === 'string' && typeof y === 'string' && x.startsWith(y);
      }
      p.expect(')');
      const exists = read(item, a) !== undefined;
      return fn === 'attribute_exists' ? exists : !exists;
    }
    const left = p.operand();
    const op = p.next();
    if (op.toUpperCase() === 'BETWEEN') {
      const lo = p.operand();
      p.expect('AND');
      const hi = p.operand();
      const v = read(item, left);
      return compare(v, '>=', read(item, lo)) && compare(v, '<=', read(item, hi));
    }
    return compare(read(item, left), op, read(item, p.operand()));
  };
  const result = orExpr();
  if (!p.done()) throw new Error(`fake DynamoDB: trailing tokens in "${expr}"`);
  return result;
}

function applyUpdate(item: Item, expr: string, names: Names, values: Values): Item {
  const p = new Parser(expr, names, values);
  while (!p.done()) {
    const section = p.next().toUpperCase();
    do {
      if (p.peek() === ',') p.next();
      if (section === 'SET') {
        const target = p.operand() as { path: string };
        p.expect('=');
        item[target.path] = setValue(p, item);
      } else if (section === 'ADD') {
        const target = p.operand() as { path: string };
        const delta = read(item, p.operand()) as number;
        item[target.path] = ((item[target.path] as number | undefined) ?? 0) + delta;
      } else if (section === 'REMOVE') {
        const target = p.operand() as { path: string };
        delete item[target.path];
      } else {
        throw new Error(`fake DynamoDB: unknown update section ${section}`);
      }
    } while (p.peek() === ',');
  }
  return item;
}

function setValue(p: Parser, item: Item): unknown {
  let value: unknown;
  if (p.peek() === 'if_not_exists') {
    p.next();
    p.expect('(');
    const path = p.operand();
    p.expect(',');
    const fallback = p.operand();
    p.expect(')');
    value = read(item, path) ?? read(item, fallback);
  } else {
    value = read(item, p.operand());
  }
  const op = p.peek();
  if (op === '+' || op === '-') {
    p.next();
    const r = read(item, p.operand()) as number;
    value = op === '+' ? (value as number) + r : (value as number) - r;
  }
  return value;
}

/**
 * Serves `table` over DynamoDB's HTTP protocol and points the composition roots at it
 * (AWS_ENDPOINT_URL_DYNAMODB): the functions reach DynamoDB through their own signed
 * client, so it is their real requests, signatures checked, that the table serves.
 */
export async function installFakeTable(table: FakeTable) {
  const { fake, restore } = installEndpoint(
    'AWS_ENDPOINT_URL_DYNAMODB',
    await startFakeDynamoHttp(table, { credentials: LAMBDA_TEST_CREDENTIALS }),
  );
  return { server: fake, restore };
}
