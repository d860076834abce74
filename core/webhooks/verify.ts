import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookHeaders, WebhookProvider } from './types.ts';

/**
 * Checks a delivery's signature against the app's webhook secret, in constant time.
 * GitHub and Bitbucket Cloud send `sha256=<hex HMAC of the body>`, Gitea and Forgejo the
 * bare hex HMAC, GitLab the secret itself as a token.
 */
export function verifySignature(
  provider: WebhookProvider,
  headers: WebhookHeaders,
  rawBody: string | Buffer,
  secret: string,
): boolean {
  if (secret.length === 0) return false;
  switch (provider) {
    case 'github':
      return matchesHmac(stripPrefix(headers['x-hub-signature-256']), rawBody, secret);
    case 'bitbucket':
      return matchesHmac(stripPrefix(headers['x-hub-signature']), rawBody, secret);
    case 'gitea':
      return matchesHmac(headers['x-gitea-signature'] ?? headers['x-forgejo-signature'], rawBody, secret);
    case 'gitlab':
      return constantTimeEqual(headers['x-gitlab-token'] ?? '', secret);
  }
}

/** Signs a body the way GitHub, Bitbucket and Gitea do (hex HMAC-SHA256); for tests and tools. */
export function hmacHex(rawBody: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

function stripPrefix(header: string | undefined): string | undefined {
  if (!header?.startsWith('sha256=')) return undefined;
  return header.slice('sha256='.length);
}

function matchesHmac(sentHex: string | undefined, rawBody: string | Buffer, secret: string): boolean {
  if (!sentHex || !/^[0-9a-fA-F]{64}$/.test(sentHex)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(sentHex, 'hex'), expected);
}

/** Equal-length digests first, so neither the length nor the content of the secret leaks through timing. */
function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
