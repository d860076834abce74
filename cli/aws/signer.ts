/**
 * SigV4 for the Wharf API behind API Gateway's IAM authorizer (service `execute-api`).
 * Loaded only for an AWS remote (cli/config.ts imports it dynamically).
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestSigner } from '../../api/client.ts';
import type { AwsRemote } from '../remote.ts';
import { credentialsFor } from './credentials.ts';
import { Sha256 } from './sha256.ts';

export function requestSigner(remote: Pick<AwsRemote, 'region' | 'profile'>): RequestSigner {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: remote.region,
    credentials: credentialsFor(remote),
    sha256: Sha256,
    // API Gateway hashes the body itself: no x-amz-content-sha256 header needed
    applyChecksum: false,
  });
  return async (req) => {
    const url = new URL(req.url);
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const had = query[k];
      query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    const signed = await signer.sign({
      method: req.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      // only what fetch sends unchanged: the host; fetch may rewrite accept or content-type
      headers: { host: url.host },
      body: req.body,
    });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = v;
    return out;
  };
}
