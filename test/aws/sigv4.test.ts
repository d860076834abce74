/**
 * The small SigV4 signer (adapters/aws/sigv4.ts) against the SDK's own
 * (`@smithy/signature-v4`): the same request, keys and instant must give the same
 * Authorization header, byte for byte.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { type AwsCredentials, amzDate, signRequest } from '../../adapters/aws/sigv4.ts';
import { Sha256 } from '../../cli/aws/sha256.ts';

const NOW = new Date('2026-11-25T15:04:05.678Z');
const KEYS: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

async function reference(
  url: URL,
  headers: Record<string, string>,
  body: string,
  credentials: AwsCredentials,
  region: string,
  service: string,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256, applyChecksum: false });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    },
    { signingDate: NOW },
  );
  return signed.headers;
}

const cases: {
  what: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  keys: AwsCredentials;
}[] = [
  {
    what: 'a DynamoDB call',
    url: 'https://dynamodb.eu-west-1.amazonaws.com/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    body: JSON.stringify({ TableName: 'wharf', Key: { pk: { S: 'APP#shop' }, sk: { S: 'META' } } }),
    keys: KEYS,
  },
  {
    what: 'a session token, a port and non-ASCII in the body',
    url: 'http://127.0.0.1:4566/',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'secretsmanager.GetSecretValue',
    },
    body: JSON.stringify({ SecretId: 'wharf/webhook/café' }),
    keys: { ...KEYS, sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDNOTAREALTOKEN==' },
  },
  {
    what: 'a path, a query and header values with runs of spaces',
    url: 'https://example.execute-api.eu-west-1.amazonaws.com/prod/apps/my app/builds?b=2&a=1&a=0&x=y z',
    headers: { 'x-custom': '  two   spaces  ', 'content-type': 'application/json' },
    body: '',
    keys: KEYS,
  },
];

describe('SigV4 signer', () => {
  it.each(cases)('signs $what exactly as @smithy/signature-v4 does', async (c) => {
    const url = new URL(c.url);
    const service = url.hostname.split('.')[0] === '127' ? 'secretsmanager' : url.hostname.split('.')[0]!;
    const ours = signRequest({
      method: 'POST',
      url,
      headers: c.headers,
      body: c.body,
      credentials: c.keys,
      region: 'eu-west-1',
      service,
      now: NOW,
    });
    const theirs = await reference(url, c.headers, c.body, c.keys, 'eu-west-1', service);
    expect(ours['authorization']).toBe(theirs['authorization']);
    expect(ours['x-amz-date']).toBe(theirs['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(theirs['x-amz-security-token']);
  });

  it('changes the signature when the body, the target, the region or the key changes', () => {
    const base = {
      method: 'POST',
      url: new URL('https://dynamodb.eu-west-1.amazonaws.com/'),
      headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: '{}',
      credentials: KEYS,
      region: 'eu-west-1',
      service: 'dynamodb',
      now: NOW,
    };
    const sig = (over: Partial<typeof base>) => signRequest({ ...base, ...over })['authorization'];
    const all = [
      sig({}),
      sig({ body: '{ }' }),
      sig({ headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } }),
      sig({ region: 'eu-west-2' }),
      sig({ credentials: { ...KEYS, secretAccessKey: 'other' } }),
      sig({ now: new Date(NOW.getTime() + 1000) }),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('writes the date in the basic ISO 8601 form', () => {
    expect(amzDate(NOW)).toBe('20261125T150405Z');
  });
});
