/**
 * The HTTP DynamoDB fake refuses what the service refuses, with the service's error type and
 * message: raw wire bodies sent through Wharf's signed JSON client (which sends any JSON as is).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '../../adapters/aws/aws-json-client.ts';
import { DYNAMODB_PROTOCOL } from '../../adapters/aws/dynamo-doc-api.ts';
import { FakeTable } from './fake-dynamo.ts';
import { type FakeDynamoHttp, startFakeDynamoHttp } from './fake-dynamo-http.ts';

const CREDENTIALS = { accessKeyId: 'AKIDVALID', secretAccessKey: 'secret' };
const TableName = 'wharf';

let table: FakeTable;
let fake: FakeDynamoHttp;
let client: AwsJsonClient;

beforeAll(async () => {
  table = new FakeTable();
  fake = await startFakeDynamoHttp(table, { credentials: CREDENTIALS });
  client = new AwsJsonClient({
    ...DYNAMODB_PROTOCOL,
    region: 'eu-west-1',
    endpoint: fake.url,
    credentials: () => CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(() => fake.close());

async function refusal(operation: string, body: Record<string, unknown>) {
  try {
    await client.call(operation, { TableName, ...body });
  } catch (e) {
    const error = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
  }
  throw new Error(`expected ${operation} ${JSON.stringify(body)} to be refused`);
}

const key = (extra: Record<string, unknown> = {}) => ({ pk: { S: 'a' }, sk: { S: 'b' }, ...extra });
const put = (value: unknown) => refusal('PutItem', { Item: key({ v: value }) });
const serialization = (message: string) => ({ name: 'SerializationException', status: 400, message });
const invalid = (message: string) => ({ name: 'ValidationException', status: 400, message });

describe('fake DynamoDB refuses mis-typed AttributeValues as the JSON reader does', () => {
  it('S, N, B, BOOL and NULL of the wrong JSON type', async () => {
    expect(await put({ N: 5 })).toEqual(serialization('NUMBER_VALUE cannot be converted to String'));
    expect(await put({ S: 1.5 })).toEqual(serialization('DECIMAL_VALUE cannot be converted to String'));
    expect(await put({ S: true })).toEqual(serialization('TRUE_VALUE cannot be converted to String'));
    expect(await put({ S: ['a'] })).toEqual(
      serialization('Unrecognized collection type class java.lang.String'),
    );
    expect(await put({ B: { 0: 1, 1: 2 } })).toEqual(
      serialization('Start of structure or map found where not expected'),
    );
    expect(await put({ B: 'AQI' })).toEqual(
      serialization('Base64 encoded length is expected a multiple of 4 bytes but found: 3'),
    );
    expect(await put({ B: 'AQ-_' })).toEqual(
      serialization('Invalid last non-pad Base64 character dectected'),
    );
    expect(await put({ BOOL: 'true' })).toEqual(serialization('Unexpected token received from parser'));
    expect(await put({ BOOL: 1 })).toEqual(serialization('NUMBER_VALUE cannot be converted to Boolean'));
    expect(await put({ NULL: {} })).toEqual(
      serialization('Start of structure or map found where not expected'),
    );
  });

  it('sets, lists and maps of the wrong JSON type, nested too', async () => {
    expect(await put({ SS: 'a' })).toEqual(serialization('Unexpected field type'));
    expect(await put({ NS: [1, 2] })).toEqual(serialization('NUMBER_VALUE cannot be converted to String'));
    expect(await put({ BS: [[1, 2]] })).toEqual(
      serialization('Unrecognized collection type class java.nio.ByteBuffer'),
    );
    expect(await put({ L: ['a'] })).toEqual(serialization('Unexpected value type in payload'));
    expect(await put({ M: [] })).toEqual(
      serialization(
        'Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>',
      ),
    );
    expect(await put({ M: { x: { L: [{ N: 1 }] } } })).toEqual(
      serialization('NUMBER_VALUE cannot be converted to String'),
    );
    expect(await refusal('GetItem', { Key: { pk: { S: 'a' }, sk: 'b' } })).toEqual(
      serialization('Unexpected value type in payload'),
    );
    expect(
      await refusal('DeleteItem', {
        Key: key(),
        ConditionExpression: 'a = :v',
        ExpressionAttributeValues: { ':v': { N: 3 } },
      }),
    ).toEqual(serialization('NUMBER_VALUE cannot be converted to String'));
    expect(table.calls).toBe(0);
  });
});

describe('fake DynamoDB refuses invalid AttributeValues with ValidationException', () => {
  it('none or several types, NULL false, bad numbers, empty or duplicate sets', async () => {
    expect(await put({})).toEqual(
      invalid('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'),
    );
    expect(await put({ S: 'a', N: '1' })).toEqual(
      invalid(
        'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
      ),
    );
    expect(await put({ NULL: false })).toEqual(
      invalid(
        'One or more parameter values were invalid: Null attribute value types must have the value of true',
      ),
    );
    expect(await put({ N: 'abc' })).toEqual(
      invalid('The parameter cannot be converted to a numeric value: abc'),
    );
    expect(await put({ N: '' })).toEqual(invalid('The parameter cannot be converted to a numeric value'));
    expect(await put({ N: '1e200' })).toEqual(
      invalid('Number overflow. Attempting to store a number with magnitude larger than supported range'),
    );
    expect(await put({ N: '1'.repeat(39) })).toEqual(
      invalid('Attempting to store more than 38 significant digits in a Number'),
    );
    expect(await put({ SS: [] })).toEqual(
      invalid('One or more parameter values were invalid: An string set  may not be empty'),
    );
    expect(await put({ BS: [] })).toEqual(
      invalid('One or more parameter values were invalid: Binary sets should not be empty'),
    );
    expect(await put({ SS: ['a', 'a'] })).toEqual(
      invalid('One or more parameter values were invalid: Input collection [a, a] contains duplicates.'),
    );
    expect(await put({ NS: ['1', '1.0'] })).toEqual(invalid('Input collection contains duplicates'));
    expect(await put({ L: [{ M: { x: { NULL: false } } }] })).toEqual(
      invalid(
        'One or more parameter values were invalid: Null attribute value types must have the value of true',
      ),
    );
    expect(table.calls).toBe(0);
  });

  it('takes what the service takes: empty strings and binary outside keys, numbers in every notation', async () => {
    await client.call('PutItem', {
      TableName,
      Item: key({
        s: { S: '' },
        b: { B: '' },
        n: { NS: ['1', '-2.5', '.5', '1E3', '+7', '0.000'] },
        bs: { BS: ['AQID', 'BAU='] },
        l: { L: [{ NULL: true }, { BOOL: false }, { M: {} }] },
      }),
    });
    expect(table.items.size).toBe(1);
  });
});

describe('fake DynamoDB refuses keys that do not fit the table (pk, sk: S)', () => {
  it('empty, missing, mistyped or extra key attributes', async () => {
    expect(await refusal('PutItem', { Item: { pk: { S: '' }, sk: { S: 'b' } } })).toEqual(
      invalid(
        'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk',
      ),
    );
    expect(await refusal('GetItem', { Key: { pk: { S: 'a' }, sk: { B: '' } } })).toEqual(
      invalid(
        'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: sk',
      ),
    );
    expect(await refusal('PutItem', { Item: { pk: { S: 'a' } } })).toEqual(
      invalid('One or more parameter values were invalid: Missing the key sk in the item'),
    );
    expect(await refusal('PutItem', { Item: { pk: { N: '1' }, sk: { S: 'b' } } })).toEqual(
      invalid('One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N'),
    );
    expect(await refusal('DeleteItem', { Key: key({ x: { S: 'c' } }) })).toEqual(
      invalid('The provided key element does not match the schema'),
    );
    expect(
      await refusal('BatchWriteItem', {
        RequestItems: { [TableName]: [{ DeleteRequest: { Key: { pk: { S: 'a' }, sk: { S: '' } } } }] },
      }),
    ).toEqual(
      invalid(
        'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk',
      ),
    );
  });
});

describe('fake DynamoDB refuses expression names and values that are not used or not defined', () => {
  it('unused names and values, listed as the service lists them', async () => {
    expect(
      await refusal('UpdateItem', {
        Key: key(),
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { N: '1' }, ':x': { S: 'a' }, ':y': { S: 'b' } },
      }),
    ).toEqual(invalid('Value provided in ExpressionAttributeValues unused in expressions: keys: {:x, :y}'));
    expect(
      await refusal('PutItem', {
        Item: key(),
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#x': 'x' },
      }),
    ).toEqual(invalid('Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}'));
    expect(
      await refusal('Query', {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'a' }, ':sk': { S: 'b' } },
      }),
    ).toEqual(invalid('Value provided in ExpressionAttributeValues unused in expressions: keys: {:sk}'));
  });

  it('values without expressions, empty maps, undefined placeholders', async () => {
    expect(
      await refusal('PutItem', { Item: key(), ExpressionAttributeValues: { ':x': { S: 'a' } } }),
    ).toEqual(
      invalid(
        'ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null',
      ),
    );
    expect(await refusal('GetItem', { Key: key(), ExpressionAttributeNames: { '#x': 'x' } })).toEqual(
      invalid('ExpressionAttributeNames can only be specified when using expressions'),
    );
    expect(
      await refusal('UpdateItem', {
        Key: key(),
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: {},
      }),
    ).toEqual(invalid('ExpressionAttributeValues must not be empty'));
    expect(
      await refusal('UpdateItem', {
        Key: key(),
        UpdateExpression: 'SET #v = :v',
        ExpressionAttributeValues: { ':v': { N: '1' } },
      }),
    ).toEqual(
      invalid(
        'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #v',
      ),
    );
    expect(await refusal('DeleteItem', { Key: key(), ConditionExpression: 'v = :v' })).toEqual(
      invalid(
        'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v',
      ),
    );
    expect(
      await refusal('UpdateItem', {
        Key: key(),
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { SS: [] } },
      }),
    ).toEqual(
      invalid(
        'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v',
      ),
    );
  });
});
