/** Builds signed deliveries the way each git host sends them. */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hmacHex } from '../../core/webhooks/verify.ts';
import type { WebhookProvider } from '../../core/webhooks/types.ts';

const require = createRequire(import.meta.url);

interface OctokitEvent {
  readonly name: string;
  readonly examples: readonly Record<string, unknown>[];
}

const github = require('@octokit/webhooks-examples/api.github.com/index.json') as OctokitEvent[];

export function githubExamples(name: string): Record<string, unknown>[] {
  const event = github.find((e) => e.name === name);
  if (!event) throw new Error(`no octokit example for ${name}`);
  return event.examples.map((e) => structuredClone(e));
}

export function payload(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./payloads/${file}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

export interface Delivery {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Signs `body` with `secret` and sets the provider's headers; `event` is the host's event name. */
export function deliver(
  provider: WebhookProvider,
  event: string,
  body: string | Buffer,
  secret: string,
  id: string = randomUUID(),
): Delivery {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const sig = hmacHex(raw, secret);
  const base = { 'content-type': 'application/json' };
  switch (provider) {
    case 'github':
      return {
        body: raw,
        headers: {
          ...base,
          'x-github-event': event,
          'x-github-delivery': id,
          'x-hub-signature-256': `sha256=${sig}`,
        },
      };
    case 'gitlab':
      return {
        body: raw,
        headers: { ...base, 'x-gitlab-event': event, 'x-gitlab-event-uuid': id, 'x-gitlab-token': secret },
      };
    case 'bitbucket':
      return {
        body: raw,
        headers: {
          ...base,
          'x-event-key': event,
          'x-hook-uuid': 'a0b1c2d3-0000-4000-8000-000000000000',
          'x-request-uuid': id,
          'x-hub-signature': `sha256=${sig}`,
        },
      };
    case 'gitea':
      // Gitea also sends GitHub's headers, for compatibility; detection must still say gitea.
      return {
        body: raw,
        headers: {
          ...base,
          'x-gitea-event': event,
          'x-gitea-delivery': id,
          'x-gitea-signature': sig,
          'x-github-event': event,
          'x-github-delivery': id,
        },
      };
  }
}

/** The same delivery with one byte of its body changed after signing. */
export function tamper(d: Delivery): Delivery {
  const body = Buffer.from(d.body);
  const i = body.indexOf('"');
  body[i + 1] = body[i + 1] === 0x61 ? 0x62 : 0x61;
  return { headers: d.headers, body };
}
