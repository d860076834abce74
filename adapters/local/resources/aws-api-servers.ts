/**
 * The AWS-API servers for `document` (dynalite, the DynamoDB API on LevelDB) and `blob`
 * (s3rver, the S3 API on files), run as child processes of the platform's own Node.
 * Neither checks credentials; the env carries dummy ones so that the AWS SDK signs.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MissingServerBinaryError } from './errors.ts';
import type { LocalServerKind, ServerFacts } from './kind.ts';
import { httpRequest, LOOPBACK } from './net.ts';

/** Local dummy credentials and region; the same for every resource, so they never clash. */
export const LOCAL_AWS = { region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const require = createRequire(import.meta.url);

function resolveScript(specifier: string, npmPackage: string): string {
  try {
    return require.resolve(specifier);
  } catch (error) {
    throw new MissingServerBinaryError(`${npmPackage} (npm package)`, [], { cause: error });
  }
}

const FAKE_AUTH = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=S3RVER/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
  'x-amz-date': '20240101T000000Z',
};

async function dynamo(facts: ServerFacts, target: string, body: unknown) {
  return httpRequest(facts.port, {
    method: 'POST',
    path: '/',
    headers: {
      ...FAKE_AUTH,
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${target}`,
    },
    body: JSON.stringify(body),
  });
}

export function documentKind(): LocalServerKind {
  const script = () => resolveScript('dynalite/cli.js', 'dynalite');
  return {
    checkInstalled: () => {
      script();
      return 'dynalite';
    },
    async init(ctx) {
      await mkdir(join(ctx.dir, 'data'), { recursive: true, mode: 0o700 });
    },
    command(ctx, facts) {
      return {
        file: process.execPath,
        args: [
          script(),
          '--host',
          LOOPBACK,
          '--port',
          String(facts.port),
          '--path',
          join(ctx.dir, 'data'),
          '--createTableMs',
          '0',
          '--deleteTableMs',
          '0',
          '--updateTableMs',
          '0',
        ],
      };
    },
    async ready(_ctx, facts) {
      return (await dynamo(facts, 'ListTables', {})).status === 200;
    },
    async afterFirstStart(_ctx, facts) {
      // The same key schema as the AWS template: a generic single-table design.
      const created = await dynamo(facts, 'CreateTable', {
        TableName: facts.database,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      });
      if (created.status !== 200) throw new Error(`CreateTable ${facts.database} failed: ${created.body}`);
    },
    envValues(facts) {
      return { table: facts.database, endpoint: `http://${LOOPBACK}:${facts.port}`, ...LOCAL_AWS };
    },
  };
}

export function blobKind(): LocalServerKind {
  const script = () => resolveScript('s3rver/bin/s3rver.js', 's3rver');
  return {
    checkInstalled: () => {
      script();
      return 's3rver';
    },
    async init(ctx) {
      await mkdir(join(ctx.dir, 'data'), { recursive: true, mode: 0o700 });
    },
    command(ctx, facts) {
      return {
        file: process.execPath,
        args: [
          script(),
          '--directory',
          join(ctx.dir, 'data'),
          '--address',
          LOOPBACK,
          '--port',
          String(facts.port),
          '--silent',
          '--no-vhost-buckets',
          '--configure-bucket',
          facts.database,
        ],
      };
    },
    async ready(_ctx, facts) {
      return (await httpRequest(facts.port, { method: 'HEAD', path: `/${facts.database}` })).status === 200;
    },
    async afterFirstStart() {},
    envValues(facts) {
      return { bucket: facts.database, endpoint: `http://${LOOPBACK}:${facts.port}`, ...LOCAL_AWS };
    },
  };
}
