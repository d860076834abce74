/**
 * A webhook delivery is marked once even when the answer to the marking write is lost and
 * the small client sends it again: the retry meets the record its own first attempt made,
 * and must not take it for someone else's (the push would be answered "duplicate" and
 * never built).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '../../adapters/aws/aws-json-client.ts';
import { httpDocApi, DYNAMODB_PROTOCOL } from '../../adapters/aws/dynamo-doc-api.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { nodeTransport, type Transport } from '../../adapters/aws/node-transport.ts';
import { FakeTable } from './fake-dynamo.ts';
import { type FakeDynamoHttp, startFakeDynamoHttp } from './fake-dynamo-http.ts';

const credentials = { accessKeyId: 'AKIDDELIVERY', secretAccessKey: 'delivery-secret' };
let server: FakeDynamoHttp | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function storeWith(transport: Transport): Promise<DynamoStateStore> {
  server ??= await startFakeDynamoHttp(new FakeTable(), { credentials, region: 'eu-west-1' });
  const client = new AwsJsonClient({
    ...DYNAMODB_PROTOCOL,
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: () => credentials,
    sleep: async () => {},
    transport,
  });
  return new DynamoStateStore({
    client: httpDocApi(client),
    tableName: 'wharf',
    backoff: { sleep: async () => {} },
  });
}

/** Sends the first PutItem, then loses its answer as a reset connection would. */
function losingFirstPutAnswer(): { transport: Transport; lost: () => number } {
  let lost = 0;
  return {
    transport: async (url, headers, body, timeoutMs) => {
      const answer = await nodeTransport(url, headers, body, timeoutMs);
      if (headers['x-amz-target'] === 'DynamoDB_20120810.PutItem' && lost === 0) {
        lost++;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return answer;
    },
    lost: () => lost,
  };
}

describe('DynamoDB delivery marks', () => {
  it('counts a delivery as new when the retry of its own write meets the record', async () => {
    const flaky = losingFirstPutAnswer();
    const store = await storeWith(flaky.transport);
    expect(await store.markDelivery('d-1', 60_000)).toBe(true);
    expect(flaky.lost()).toBe(1);
    const puts = server!.requests.filter((r) => r.target === 'DynamoDB_20120810.PutItem');
    expect(puts).toHaveLength(2);
    // and a redelivery of the same id is a duplicate
    expect(await store.markDelivery('d-1', 60_000)).toBe(false);
  });

  it('gives one of two concurrent deliveries of one id to one caller only', async () => {
    const a = await storeWith(nodeTransport);
    const b = await storeWith(nodeTransport);
    const results = await Promise.all([a.markDelivery('d-2', 60_000), b.markDelivery('d-2', 60_000)]);
    expect(results.sort()).toEqual([false, true]);
  });
});
