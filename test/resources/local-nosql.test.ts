/** redis, document (dynalite) and blob (s3rver) as real local servers, reached only through their env. */
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../core/domain.ts';
import { isPortOpen } from '../../adapters/local/resources/net.ts';
import type { LocalResourceProvisioner } from '../../adapters/local/resources/provisioner.ts';
import { localProvisioner, resourceRecord, tempDataDir } from './helpers.ts';

type Redis = ReturnType<typeof createRedis>;
const createRedis = (url: string | undefined) => createClient({ url });

async function withRedis<T>(env: Readonly<Record<string, string>>, use: (c: Redis) => Promise<T>) {
  const client = createRedis(env['REDIS_URL']);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

async function getItem(env: Readonly<Record<string, string>>, pk: string) {
  const client = new DynamoDBClient({});
  const out = await client.send(
    new GetItemCommand({ TableName: env['DYNAMODB_TABLE'], Key: { pk: { S: pk }, sk: { S: 'profile' } } }),
  );
  client.destroy();
  return out.Item;
}

async function getObject(env: Readonly<Record<string, string>>, key: string) {
  const client = new S3Client({});
  const out = await client.send(new GetObjectCommand({ Bucket: env['S3_BUCKET'], Key: key }));
  const body = await out.Body?.transformToString();
  client.destroy();
  return body;
}

describe('local cache, document and blob resources', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let provisioner: LocalResourceProvisioner;
  let redis: Resource;
  let document: Resource;
  let blob: Resource;

  beforeAll(async () => {
    data = await tempDataDir();
    provisioner = localProvisioner(data.dir);
    const [a, b, c] = await Promise.all([
      provisioner.provision('blog', 'redis', 'redis', ''),
      provisioner.provision('blog', 'document', 'document', ''),
      provisioner.provision('blog', 'blob', 'blob', ''),
    ]);
    redis = resourceRecord('blog', 'redis', 'redis', a);
    document = resourceRecord('blog', 'document', 'document', b);
    blob = resourceRecord('blog', 'blob', 'blob', c);
    // What an app with both gets: the SDK reads endpoint, region and credentials from the env alone.
    Object.assign(process.env, document.env, blob.env);
  });

  afterAll(async () => {
    await provisioner?.shutdown();
    await data?.cleanup();
  });

  it('returns REDIS_URL, and the table or bucket with the endpoint and region the AWS SDK reads', () => {
    expect(Object.keys(redis.env)).toEqual(['REDIS_URL']);
    expect(document.env).toMatchObject({
      DYNAMODB_TABLE: 'blog-document',
      AWS_ENDPOINT_URL_DYNAMODB: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_REGION: 'us-east-1',
    });
    expect(blob.env).toMatchObject({
      S3_BUCKET: 'blog-blob',
      AWS_ENDPOINT_URL_S3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_REGION: 'us-east-1',
    });
  });

  it('redis: stores and reads a key through REDIS_URL; the password is required', async () => {
    await withRedis(redis.env, (c) => c.set('greeting', 'hello from redis'));
    expect(await withRedis(redis.env, (c) => c.get('greeting'))).toBe('hello from redis');
    const noPassword = redis.env['REDIS_URL']!.replace(/\/\/[^@]*@/, '//');
    await expect(withRedis({ REDIS_URL: noPassword }, (c) => c.get('greeting'))).rejects.toThrow(/NOAUTH/);
  });

  it('document: puts and gets an item with the DynamoDB client, in the table made for it', async () => {
    const client = new DynamoDBClient({});
    await client.send(
      new PutItemCommand({
        TableName: document.env['DYNAMODB_TABLE'],
        Item: { pk: { S: 'user#1' }, sk: { S: 'profile' }, name: { S: 'Ada' } },
      }),
    );
    const table = await client.send(new DescribeTableCommand({ TableName: document.env['DYNAMODB_TABLE'] }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    client.destroy();
    expect((await getItem(document.env, 'user#1'))?.['name']).toEqual({ S: 'Ada' });
  });

  it('blob: puts and gets an object with the S3 client, in the bucket made for it', async () => {
    const client = new S3Client({});
    await client.send(
      new PutObjectCommand({ Bucket: blob.env['S3_BUCKET'], Key: 'a/b.txt', Body: 'hello from s3' }),
    );
    client.destroy();
    expect(await getObject(blob.env, 'a/b.txt')).toBe('hello from s3');
  });

  it('restarts a server that dies, on the same port and with its data', async () => {
    const server = provisioner.server('blog', 'redis')!;
    process.kill(server.pid!, 'SIGKILL');
    await expect.poll(() => server.restarts, { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => withRedis(redis.env, (c) => c.get('greeting')).catch(() => null), {
        timeout: 10_000,
        interval: 200,
      })
      .toBe('hello from redis');
  });

  it('keeps the data across a platform restart (shutdown, then startAll in a new provisioner)', async () => {
    await provisioner.shutdown();
    expect(await isPortOpen(Number(new URL(redis.env['REDIS_URL']!).port))).toBe(false);
    provisioner = localProvisioner(data.dir);
    const results = await provisioner.startAll([redis, document, blob]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(await withRedis(redis.env, (c) => c.get('greeting'))).toBe('hello from redis');
    expect((await getItem(document.env, 'user#1'))?.['name']).toEqual({ S: 'Ada' });
    expect(await getObject(blob.env, 'a/b.txt')).toBe('hello from s3');
  });

  it('deprovision stops the servers and, with keepData false, removes their data', async () => {
    await Promise.all([redis, document, blob].map((r) => provisioner.deprovision(r, { keepData: false })));
    for (const url of [
      redis.env['REDIS_URL']!,
      document.env['AWS_ENDPOINT_URL_DYNAMODB']!,
      blob.env['AWS_ENDPOINT_URL_S3']!,
    ]) {
      expect(await isPortOpen(Number(new URL(url).port))).toBe(false);
    }
    for (const name of ['redis', 'document', 'blob']) {
      expect(existsSync(provisioner.resourceDir('blog', name))).toBe(false);
    }
  });
});
