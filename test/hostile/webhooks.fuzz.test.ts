/**
 * Property-based fuzzing of the webhook parser (core/webhooks): random bodies and headers,
 * and real push payloads of every host with one field replaced by random JSON. The parser
 * may only ever answer with a well-formed event or a ValidationError; signature checks
 * never throw and accept only the right HMAC.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.ts';
import {
  decidePush,
  deliveryId,
  detectProvider,
  hmacHex,
  parseDelivery,
  type WebhookEvent,
  type WebhookProvider,
  verifySignature,
} from '../../core/webhooks/index.ts';
import { deliver, githubExamples, payload } from '../webhooks/deliveries.ts';

const RUNS = 150;
const PROVIDERS: WebhookProvider[] = ['github', 'gitlab', 'bitbucket', 'gitea'];
const PUSH_EVENT: Record<WebhookProvider, string> = {
  github: 'push',
  gitlab: 'Push Hook',
  bitbucket: 'repo:push',
  gitea: 'push',
};
const EXAMPLES: Record<WebhookProvider, () => Record<string, unknown>> = {
  github: () => githubExamples('push')[0]!,
  gitlab: () => payload('gitlab-push.json'),
  bitbucket: () => payload('bitbucket-push.json'),
  gitea: () => payload('gitea-push.json'),
};

/** Calls the parser; anything thrown but a ValidationError is a bug. */
function parseOrRefuse(
  provider: WebhookProvider,
  headers: Record<string, string>,
  body: string,
): WebhookEvent | null {
  try {
    return parseDelivery(provider, headers, body);
  } catch (e) {
    if (e instanceof ValidationError) return null;
    throw e;
  }
}

function expectWellFormed(event: WebhookEvent): void {
  expect(typeof event.deliveryId).toBe('string');
  if (event.kind !== 'push') return;
  expect(typeof event.repository.fullName).toBe('string');
  for (const u of event.updates) {
    expect(typeof u.ref).toBe('string');
    expect(u.commit === null || typeof u.commit === 'string').toBe(true);
    expect(u.deleted).toBe(u.commit === null);
  }
  // what the webhook function does next must not throw either
  const d = decidePush(event.updates, 'main');
  expect(['build', 'ignore']).toContain(d.action);
}

/** Every path to a value inside a JSON document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function replaceAt(doc: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

const headerValue = fc.oneof(
  fc.string(),
  fc.constantFrom('push', 'ping', 'Push Hook', 'repo:push', 'sha256=', ''),
);
const headerName = fc.constantFrom(
  'x-github-event',
  'x-github-delivery',
  'x-hub-signature-256',
  'x-hub-signature',
  'x-gitlab-event',
  'x-gitlab-token',
  'x-gitlab-event-uuid',
  'x-event-key',
  'x-hook-uuid',
  'x-request-uuid',
  'x-gitea-event',
  'x-gitea-signature',
  'x-forgejo-event',
  'x-gogs-event',
  'content-type',
);
const headers = fc.dictionary(headerName, headerValue);

describe('webhook parser under fuzzing', () => {
  it('detectProvider, eventName and deliveryId never throw anything but a ValidationError', () => {
    fc.assert(
      fc.property(headers, fc.string(), (h, body) => {
        let provider: WebhookProvider;
        try {
          provider = detectProvider(h);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          return;
        }
        expect(PROVIDERS).toContain(provider);
        expect(deliveryId(provider, h, body)).toMatch(new RegExp(`^${provider}:`));
      }),
      { numRuns: RUNS },
    );
  });

  it('random bodies, JSON or not, give a well-formed event or a ValidationError', () => {
    const body = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constant(''),
      fc.constant('null'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...PROVIDERS), body, fc.boolean(), (provider, raw, asPush) => {
        const h = deliver(provider, asPush ? PUSH_EVENT[provider] : 'ping', raw, 's').headers;
        const event = parseOrRefuse(provider, h, raw);
        if (event) expectWellFormed(event);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  for (const provider of PROVIDERS) {
    it(`${provider} push payloads with one field replaced by random JSON give a well-formed event or a ValidationError`, () => {
      const example = EXAMPLES[provider]();
      const all = paths(example);
      fc.assert(
        fc.property(fc.nat(all.length - 1), fc.jsonValue(), (i, replacement) => {
          const doc = replaceAt(example, all[i]!, replacement);
          const raw = JSON.stringify(doc);
          const event = parseOrRefuse(
            provider,
            deliver(provider, PUSH_EVENT[provider], raw, 's').headers,
            raw,
          );
          if (event) expectWellFormed(event);
        }),
        { numRuns: RUNS * 2 },
      );
    });
  }

  it('signature checks never throw, refuse random signatures and accept the right one', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROVIDERS),
        headers,
        fc.string(),
        fc.string({ minLength: 1 }),
        (provider, h, body, secret) => {
          const random = verifySignature(provider, h, body, secret);
          expect(typeof random).toBe('boolean');
          const signed = deliver(provider, PUSH_EVENT[provider], body, secret).headers;
          expect(verifySignature(provider, signed, body, secret)).toBe(true);
          expect(verifySignature(provider, signed, `${body}x`, secret)).toBe(provider === 'gitlab');
          expect(verifySignature(provider, signed, body, `${secret}x`)).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('an empty secret never verifies', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROVIDERS), fc.string(), (provider, body) => {
        const signed = deliver(provider, 'push', body, '').headers;
        expect(verifySignature(provider, signed, body, '')).toBe(false);
        expect(hmacHex(body, 'k')).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 50 },
    );
  });
});
