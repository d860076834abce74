import { ValidationError } from '../errors.ts';
import { deliveryId, eventName } from './detect.ts';
import type { PushRepository, RefUpdate, WebhookEvent, WebhookHeaders, WebhookProvider } from './types.ts';

const ZERO_SHA = /^0+$/;

type Json = Record<string, unknown>;

/** Parses a delivery whose signature has been checked. Throws ValidationError when the body is malformed. */
export function parseDelivery(
  provider: WebhookProvider,
  headers: WebhookHeaders,
  body: string,
): WebhookEvent {
  const id = deliveryId(provider, headers, body);
  const name = eventName(provider, headers);
  const payload = parseJson(body);
  switch (provider) {
    case 'github':
    case 'gitea':
      if (name === 'ping') return { kind: 'ping', provider, deliveryId: id };
      if (name === 'push') return githubStylePush(provider, id, payload);
      return { kind: 'other', provider, deliveryId: id, name };
    case 'gitlab':
      if (name === 'Push Hook' || name === 'Tag Push Hook') return gitlabPush(id, payload);
      return { kind: 'other', provider, deliveryId: id, name };
    case 'bitbucket':
      if (name === 'diagnostics:ping') return { kind: 'ping', provider, deliveryId: id };
      if (name === 'repo:push') return bitbucketPush(id, payload);
      return { kind: 'other', provider, deliveryId: id, name };
  }
}

function parseJson(body: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new ValidationError(
      'webhook body is not valid JSON: set the hook content type to application/json',
      {
        cause: e,
      },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('webhook body must be a JSON object');
  }
  return value as Json;
}

function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ValidationError(`webhook payload is missing the object "${field}"`, { details: { field } });
  }
  return v as Json;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw new ValidationError(`webhook payload is missing the string "${field}"`, { details: { field } });
  }
  return v;
}

function optStr(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function refUpdate(ref: string, after: string | null, deleted: boolean): RefUpdate {
  const gone = deleted || after === null || ZERO_SHA.test(after);
  return {
    ref,
    branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null,
    commit: gone ? null : after,
    deleted: gone,
  };
}

/** GitHub's push payload, which Gitea and Forgejo copy. */
function githubStylePush(provider: WebhookProvider, id: string, p: Json): WebhookEvent {
  const repo = obj(p['repository'], 'repository');
  const repository: PushRepository = {
    fullName: str(repo['full_name'], 'repository.full_name'),
    cloneUrl: optStr(repo['clone_url']),
  };
  const update = refUpdate(str(p['ref'], 'ref'), optStr(p['after']), p['deleted'] === true);
  return { kind: 'push', provider, deliveryId: id, repository, updates: [update] };
}

function gitlabPush(id: string, p: Json): WebhookEvent {
  const project = obj(p['project'], 'project');
  const repository: PushRepository = {
    fullName: str(project['path_with_namespace'], 'project.path_with_namespace'),
    cloneUrl: optStr(project['git_http_url']),
  };
  const after = optStr(p['checkout_sha']) ?? optStr(p['after']);
  const update = refUpdate(str(p['ref'], 'ref'), after, false);
  return { kind: 'push', provider: 'gitlab', deliveryId: id, repository, updates: [update] };
}

/** Bitbucket Cloud sends every ref a push moved as one change with `old` and `new` states. */
function bitbucketPush(id: string, p: Json): WebhookEvent {
  const repo = obj(p['repository'], 'repository');
  const fullName = str(repo['full_name'], 'repository.full_name');
  const push = obj(p['push'], 'push');
  const changes = push['changes'];
  if (!Array.isArray(changes)) {
    throw new ValidationError('webhook payload is missing the array "push.changes"', {
      details: { field: 'push.changes' },
    });
  }
  const updates = changes.map((c, i) => {
    const change = obj(c, `push.changes[${i}]`);
    const state = (change['new'] ?? change['old']) as Json | null | undefined;
    const side = obj(state, `push.changes[${i}].new`);
    const name = str(side['name'], `push.changes[${i}].new.name`);
    const ref = side['type'] === 'tag' ? `refs/tags/${name}` : `refs/heads/${name}`;
    const created = change['new'] ? obj(change['new'], 'new') : null;
    const target = created ? obj(created['target'], `push.changes[${i}].new.target`) : null;
    return refUpdate(ref, target ? str(target['hash'], 'target.hash') : null, created === null);
  });
  return {
    kind: 'push',
    provider: 'bitbucket',
    deliveryId: id,
    repository: { fullName, cloneUrl: `https://bitbucket.org/${fullName}.git` },
    updates,
  };
}
