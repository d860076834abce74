import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.ts';
import type { WebhookHeaders, WebhookProvider } from './types.ts';

/**
 * Which host sent a delivery. Gitea and Forgejo also send GitHub's headers for
 * compatibility, so their own headers are checked first.
 */
export function detectProvider(headers: WebhookHeaders): WebhookProvider {
  if (headers['x-gitea-event'] || headers['x-forgejo-event'] || headers['x-gogs-event']) return 'gitea';
  if (headers['x-gitlab-event']) return 'gitlab';
  if (headers['x-event-key'] && (headers['x-hook-uuid'] || headers['x-request-uuid'])) return 'bitbucket';
  if (headers['x-github-event']) return 'github';
  throw new ValidationError(
    'unrecognised webhook delivery: expected the event header of GitHub (X-GitHub-Event), GitLab (X-Gitlab-Event), Bitbucket Cloud (X-Event-Key) or Gitea/Forgejo (X-Gitea-Event)',
  );
}

/** The host's event name, as sent in its event header. */
export function eventName(provider: WebhookProvider, headers: WebhookHeaders): string {
  switch (provider) {
    case 'github':
      return headers['x-github-event'] ?? '';
    case 'gitlab':
      return headers['x-gitlab-event'] ?? '';
    case 'bitbucket':
      return headers['x-event-key'] ?? '';
    case 'gitea':
      return headers['x-gitea-event'] ?? headers['x-forgejo-event'] ?? headers['x-gogs-event'] ?? '';
  }
}

/**
 * The delivery's id, for deduplication. Every host sends one except older GitLab
 * releases; for those the body's digest stands in, since a redelivery repeats the body.
 */
export function deliveryId(provider: WebhookProvider, headers: WebhookHeaders, body: string): string {
  const sent =
    provider === 'github'
      ? headers['x-github-delivery']
      : provider === 'gitlab'
        ? (headers['x-gitlab-event-uuid'] ?? headers['x-gitlab-webhook-uuid'])
        : provider === 'bitbucket'
          ? headers['x-request-uuid']
          : (headers['x-gitea-delivery'] ?? headers['x-forgejo-delivery'] ?? headers['x-gogs-delivery']);
  if (sent && sent.length <= 200) return `${provider}:${sent}`;
  return `${provider}:sha256:${createHash('sha256').update(body).digest('hex')}`;
}
