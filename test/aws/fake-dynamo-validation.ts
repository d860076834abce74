/**
 * What DynamoDB refuses before it looks at a table, for the HTTP fake (fake-dynamo-operations.ts):
 * AttributeValues of the wrong JSON shape (SerializationException, as the service's JSON reader
 * fails), AttributeValues that parse but are invalid, expression names and values that are not
 * used or not defined, and key attributes that do not fit the table's schema (ValidationException).
 * The fake exists to catch a wrong client, so it must not accept a request the service refuses.
 * Messages are the service's, as captured by dynalite's tests against live DynamoDB and by
 * later emulators' captures.
 */

const CORAL = 'com.amazon.coral.service#';
const VALIDATION = 'com.amazon.coral.validate#ValidationException';

/** An answer DynamoDB gives as an error: status, namespaced `__type`, message. */
export class DynamoWireError extends Error {
  readonly status: number;
  readonly type: string;
  /** the body member holding the message: Coral's JSON reader writes `Message`, the service `message` */
  readonly messageKey: 'message' | 'Message';
  constructor(
    status: number,
    type: string,
    message: string,
    options?: ErrorOptions & { messageKey?: 'message' | 'Message' },
  ) {
    super(message, options);
    this.name = 'DynamoWireError';
    this.status = status;
    this.type = type;
    this.messageKey = options?.messageKey ?? 'message';
  }
}

export function validation(message: string): DynamoWireError {
  return new DynamoWireError(400, VALIDATION, message);
}

function serialization(message: string): DynamoWireError {
  return new DynamoWireError(400, `${CORAL}SerializationException`, message, { messageKey: 'Message' });
}

const AV_CLASS = 'com.amazonaws.dynamodb.v20120810.AttributeValue';

/** Jackson's complaint when `value` is not the JSON type a member of Java type `java` wants. */
function scalarMismatch(value: unknown, java: 'String' | 'Boolean'): DynamoWireError | undefined {
  switch (typeof value) {
    case 'string':
      // DynamoDB coerces 'true'/'1'/'yes' strings to a Boolean; the fake refuses them, no client should send them
      return java === 'String' ? undefined : serialization('Unexpected token received from parser');
    case 'boolean':
      return java === 'Boolean'
        ? undefined
        : serialization(`${value ? 'TRUE' : 'FALSE'}_VALUE cannot be converted to ${java}`);
    case 'number':
      return serialization(
        `${Number.isInteger(value) ? 'NUMBER' : 'DECIMAL'}_VALUE cannot be converted to ${java}`,
      );
    default:
      return Array.isArray(value)
        ? serialization(`Unrecognized collection type class java.lang.${java}`)
        : serialization('Start of structure or map found where not expected');
  }
}

function blobMismatch(value: unknown): DynamoWireError | undefined {
  if (typeof value === 'string') {
    if (value.length % 4 !== 0) {
      return serialization(
        `Base64 encoded length is expected a multiple of 4 bytes but found: ${value.length}`,
      );
    }
    return Buffer.from(value, 'base64').toString('base64') === value
      ? undefined
      : serialization('Invalid last non-pad Base64 character dectected');
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return serialization('only base-64-encoded strings are convertible to bytes');
  }
  return Array.isArray(value)
    ? serialization('Unrecognized collection type class java.nio.ByteBuffer')
    : serialization('Start of structure or map found where not expected');
}

function listOf(value: unknown, member: (v: unknown) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) {
      // a JSON null inside a set or list is no value of any type
      if (v === null)
        throw serialization('fake DynamoDB: null is not a member value (the service drops or refuses it)');
      member(v);
    }
    return;
  }
  throw typeof value === 'object'
    ? serialization('Start of structure or map found where not expected')
    : serialization('Unexpected field type');
}

/** A wire attribute map (`Item`, `Key`, `M`, …): refuses what the service's JSON reader refuses. */
export function checkAttributeMap(value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object') throw serialization('Unexpected field type');
  if (Array.isArray(value)) {
    throw serialization(`Unrecognized collection type java.util.Map<java.lang.String, ${AV_CLASS}>`);
  }
  for (const av of Object.values(value)) checkAttributeShape(av);
}

/** One wire AttributeValue: each member present must have its JSON type. */
export function checkAttributeShape(av: unknown): void {
  if (av === null) return;
  if (typeof av !== 'object') throw serialization('Unexpected value type in payload');
  if (Array.isArray(av)) throw serialization(`Unrecognized collection type class ${AV_CLASS}`);
  for (const [member, value] of Object.entries(av)) {
    if (value === null) continue;
    let error: DynamoWireError | undefined;
    if (member === 'S' || member === 'N') error = scalarMismatch(value, 'String');
    else if (member === 'BOOL' || member === 'NULL') error = scalarMismatch(value, 'Boolean');
    else if (member === 'B') error = blobMismatch(value);
    else if (member === 'SS' || member === 'NS') {
      listOf(value, (v) => {
        const e = scalarMismatch(v, 'String');
        if (e) throw e;
      });
    } else if (member === 'BS') {
      listOf(value, (v) => {
        const e = blobMismatch(v);
        if (e) throw e;
      });
    } else if (member === 'L') listOf(value, checkAttributeShape);
    else if (member === 'M') checkAttributeMap(value);
    if (error) throw error;
  }
}

/** An ExpressionAttributeNames map: string values only. */
export function checkNameMap(value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object') throw serialization('Unexpected field type');
  if (Array.isArray(value)) {
    throw serialization('Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>');
  }
  for (const v of Object.values(value)) {
    const e = v === null ? undefined : scalarMismatch(v, 'String');
    if (e) throw e;
  }
}

const TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];

/**
 * `s` as DynamoDB's number (a sign, at most 38 significant digits, magnitude 1e-130 to 1e126),
 * in one canonical form so that '1' and '1.0' compare equal; undefined when it is no number.
 */
function canonicalNumber(s: string): { canonical: string } | { error: string } {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!s || !m || `${m[2]}${m[3] ?? ''}` === '') {
    return { error: `The parameter cannot be converted to a numeric value${s ? `: ${s}` : ''}` };
  }
  let digits = `${m[2]}${m[3] ?? ''}`;
  let point = (m[2] ?? '').length + Number(m[4] ?? 0);
  const lead = /^0*/.exec(digits)![0].length;
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  if (digits === '') return { canonical: '0' };
  if (digits.length > 38) return { error: 'Attempting to store more than 38 significant digits in a Number' };
  if (point - 1 > 125) {
    return {
      error: 'Number overflow. Attempting to store a number with magnitude larger than supported range',
    };
  }
  if (point - 1 < -130) {
    return {
      error: 'Number underflow. Attempting to store a number with magnitude smaller than supported range',
    };
  }
  return { canonical: `${m[1] === '-' ? '-' : ''}0.${digits}e${point}` };
}

const INVALID = 'One or more parameter values were invalid: ';

function duplicates(list: string[], key: (v: string) => string): boolean {
  return new Set(list.map(key)).size !== list.length;
}

/**
 * Why DynamoDB refuses this (well-shaped) AttributeValue, or undefined when it takes it:
 * exactly one type, valid numbers, NULL true, sets non-empty and without duplicates.
 */
export function invalidAttributeValue(av: Record<string, unknown>): string | undefined {
  const present = Object.keys(av).filter((k) => TYPES.includes(k) && av[k] !== null);
  if (present.length === 0) {
    return 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';
  }
  for (const type of present) {
    const value = av[type];
    if (type === 'N') {
      const n = canonicalNumber(value as string);
      if ('error' in n) return n.error;
    }
    if (type === 'NULL' && value !== true)
      return `${INVALID}Null attribute value types must have the value of true`;
    if (type === 'SS' || type === 'NS' || type === 'BS') {
      const set = value as string[];
      if (set.length === 0) {
        return type === 'BS'
          ? `${INVALID}Binary sets should not be empty`
          : `${INVALID}An ${type === 'SS' ? 'string' : 'number'} set  may not be empty`;
      }
      if (type === 'NS') {
        for (const n of set) {
          const c = canonicalNumber(n);
          if ('error' in c) return c.error;
        }
        if (duplicates(set, (n) => (canonicalNumber(n) as { canonical: string }).canonical)) {
          return 'Input collection contains duplicates';
        }
      }
      if (type === 'SS' && duplicates(set, (s) => s)) {
        return `${INVALID}Input collection [${set.join(', ')}] contains duplicates.`;
      }
      if (type === 'BS' && duplicates(set, (s) => s)) {
        return `${INVALID}Input collection [${set.join(', ')}]of type BS contains duplicates.`;
      }
    }
    if (type === 'M') {
      for (const inner of Object.values(value as Record<string, unknown>)) {
        const why = invalidAttributeValue((inner ?? {}) as Record<string, unknown>);
        if (why) return why;
      }
    }
    if (type === 'L') {
      for (const inner of value as Record<string, unknown>[]) {
        const why = invalidAttributeValue(inner);
        if (why) return why;
      }
    }
  }
  if (present.length > 1) {
    return 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
  }
  return undefined;
}

/** Every value of an attribute map (already shape-checked) must be valid. */
export function checkAttributeValues(map: unknown, prefix = ''): void {
  if (map === null || map === undefined) return;
  for (const av of Object.values(map as Record<string, unknown>)) {
    // a JSON null in a map is an AttributeValue with no member set
    const why = invalidAttributeValue((av ?? {}) as Record<string, unknown>);
    if (why) throw validation(prefix + why);
  }
}

/** The expression parameters of one operation, in the order the service parses them. */
const EXPRESSIONS = [
  'UpdateExpression',
  'ConditionExpression',
  'KeyConditionExpression',
  'FilterExpression',
  'ProjectionExpression',
] as const;

/**
 * ExpressionAttributeNames/Values as DynamoDB checks them: only with expressions, not empty,
 * well-formed keys, valid values, every placeholder an expression uses defined, every one given
 * used. `allowed` are the expression parameters of the operation (which decide the wording).
 */
export function checkExpressionParameters(body: Record<string, unknown>, allowed: readonly string[]): void {
  const names = body['ExpressionAttributeNames'] as Record<string, unknown> | undefined | null;
  const values = body['ExpressionAttributeValues'] as Record<string, unknown> | undefined | null;
  const given = allowed.filter((e) => body[e] !== undefined && body[e] !== null);
  if (names != null && given.length === 0) {
    throw validation('ExpressionAttributeNames can only be specified when using expressions');
  }
  const valueExpressions = allowed.filter((e) => e !== 'ProjectionExpression');
  if (values != null && valueExpressions.length > 0 && valueExpressions.every((e) => body[e] == null)) {
    throw validation(
      `ExpressionAttributeValues can only be specified when using expressions: ${valueExpressions.join(' and ')} ${valueExpressions.length > 1 ? 'are' : 'is'} null`,
    );
  }
  if (names != null) {
    if (Object.keys(names).length === 0) throw validation('ExpressionAttributeNames must not be empty');
    for (const key of Object.keys(names)) {
      if (!/^#[0-9a-zA-Z_]+$/.test(key)) {
        throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${key}"`);
      }
    }
  }
  if (values != null) {
    if (Object.keys(values).length === 0) throw validation('ExpressionAttributeValues must not be empty');
    for (const key of Object.keys(values)) {
      if (!/^:[0-9a-zA-Z_]+$/.test(key)) {
        throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${key}"`);
      }
    }
    for (const [key, av] of Object.entries(values)) {
      const why = invalidAttributeValue((av ?? {}) as Record<string, unknown>);
      if (why) throw validation(`ExpressionAttributeValues contains invalid value: ${why} for key ${key}`);
    }
  }
  const unusedNames = new Set(Object.keys(names ?? {}));
  const unusedValues = new Set(Object.keys(values ?? {}));
  for (const parameter of EXPRESSIONS) {
    const expr = body[parameter];
    if (typeof expr !== 'string' || !allowed.includes(parameter)) continue;
    if (expr === '') throw validation(`Invalid ${parameter}: The expression can not be empty;`);
    for (const [name] of expr.matchAll(/#[0-9A-Za-z_]+/g)) {
      if (!names || !(name in names)) {
        throw validation(
          `Invalid ${parameter}: An expression attribute name used in the document path is not defined; attribute name: ${name}`,
        );
      }
      unusedNames.delete(name);
    }
    for (const [value] of expr.matchAll(/:[0-9A-Za-z_]+/g)) {
      if (!values || !(value in values)) {
        throw validation(
          `Invalid ${parameter}: An expression attribute value used in expression is not defined; attribute value: ${value}`,
        );
      }
      unusedValues.delete(value);
    }
  }
  if (unusedNames.size > 0) {
    throw validation(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${[...unusedNames].join(', ')}}`,
    );
  }
  if (unusedValues.size > 0) {
    throw validation(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${[...unusedValues].join(', ')}}`,
    );
  }
}

/** Wharf's table (infra/storage.ts): partition key `pk`, sort key `sk`, both strings. */
const KEY_SCHEMA = [
  { name: 'pk', type: 'S' },
  { name: 'sk', type: 'S' },
] as const;

/**
 * A full item (`item`) or a `Key` parameter against the table's key schema: every key attribute
 * present with its type and not empty; a `Key` has nothing else.
 */
export function checkKey(map: Record<string, unknown>, kind: 'item' | 'key'): void {
  for (const { name, type } of KEY_SCHEMA) {
    const av = map[name] as Record<string, unknown> | undefined | null;
    if (av == null) {
      throw validation(
        kind === 'item'
          ? `One or more parameter values were invalid: Missing the key ${name} in the item`
          : 'The provided key element does not match the schema',
      );
    }
    if (av['S'] === '' || av['B'] === '') {
      throw validation(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${av['S'] === '' ? 'string' : 'binary'} value. Key: ${name}`,
      );
    }
    const actual = Object.keys(av).find((k) => av[k] !== null);
    if (actual !== type) {
      throw validation(
        kind === 'item'
          ? `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${type} actual: ${actual}`
          : 'The provided key element does not match the schema',
      );
    }
  }
  if (kind === 'key' && Object.keys(map).length !== KEY_SCHEMA.length) {
    throw validation('The provided key element does not match the schema');
  }
}
