/**
 * The webhook endpoint's logic, apart from Lambda: size, app, provider, signature
 * (constant time), payload, delivery dedupe, then the decision. It answers fast: a push
 * that deploys only records the build and starts CodeBuild.
 */
import type { App } from '../../core/domain.ts';
import { ValidationError } from '../../core/errors.ts';
import {
  type WebhookProvider,
  decidePush,
  detectProvider,
  parseDelivery,
  verifySignature,
} from '../../core/webhooks/index.ts';

export interface WebhookDeps {
  readonly getApp: (name: string) => Promise<App | null>;
  readonly webhookSecret: (app: string) => Promise<string | null>;
  readonly markDelivery: (id: string, ttlMs: number) => Promise<boolean>;
  readonly startBuild: (
    app: string,
    push: { commit: string; ref: string; cloneUrl: string | null; repository: string },
  ) => Promise<{ buildId: string }>;
  readonly maxBodyBytes: number;
  /** how long a delivery id is remembered (hosts redeliver within hours) */
  readonly dedupeTtlMs?: number;
}

export interface WebhookRequest {
  /** /webhooks/<app> or /webhooks/<provider>/<app> */
  readonly path: string;
  /** lowercased names */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const PROVIDERS: readonly WebhookProvider[] = ['github', 'gitlab', 'bitbucket', 'gitea'];

const answer = (status: number, body: Record<string, unknown>): WebhookResponse => ({ status, body });

export async function handleWebhook(deps: WebhookDeps, req: WebhookRequest): Promise<WebhookResponse> {
  if (req.body.length > deps.maxBodyBytes) {
    return answer(413, {
      error: {
        code: 'payload_too_large',
        message: `webhook body is ${req.body.length} bytes; the limit is ${deps.maxBodyBytes}`,
      },
    });
  }
  const parts = req.path.split('/').filter(Boolean);
  const appName = parts.at(-1) ?? '';
  const pathProvider = parts.length === 3 ? parts[1] : undefined;
  if (parts[0] !== 'webhooks' || parts.length < 2 || parts.length > 3) {
    return answer(404, {
      error: { code: 'not_found', message: 'webhook URLs look like /webhooks/<provider>/<app>' },
    });
  }
  const app = /^[a-z][a-z0-9-]{0,62}$/.test(appName) ? await deps.getApp(appName) : null;
  if (!app)
    return answer(404, {
      error: { code: 'not_found', message: `no app "${appName}": check the webhook URL` },
    });

  let provider: WebhookProvider;
  try {
    provider = detectProvider(req.headers);
  } catch (e) {
    return answer(400, { error: { code: 'validation_error', message: (e as Error).message } });
  }
  if (
    pathProvider !== undefined &&
    (!PROVIDERS.includes(pathProvider as WebhookProvider) || pathProvider !== provider)
  ) {
    return answer(400, {
      error: {
        code: 'validation_error',
        message: `the URL says ${pathProvider} but the delivery comes from ${provider}`,
      },
    });
  }
  const secret = await deps.webhookSecret(app.name);
  if (!secret) {
    return answer(401, {
      error: {
        code: 'unauthorized',
        message: `${app.name} has no webhook secret: run \`wharf webhook ${app.name}\` and set it on the git host`,
      },
    });
  }
  if (!verifySignature(provider, req.headers, req.body, secret)) {
    return answer(401, {
      error: {
        code: 'unauthorized',
        message: `the ${provider} signature does not match ${app.name}'s webhook secret`,
      },
    });
  }

  let event: ReturnType<typeof parseDelivery>;
  try {
    event = parseDelivery(provider, req.headers, req.body.toString('utf8'));
  } catch (e) {
    if (e instanceof ValidationError)
      return answer(400, { error: { code: 'validation_error', message: e.message } });
    throw e;
  }
  if (!(await deps.markDelivery(event.deliveryId, deps.dedupeTtlMs ?? 3 * 86_400_000))) {
    return answer(200, { status: 'duplicate', message: `delivery ${event.deliveryId} was already handled` });
  }
  if (event.kind === 'ping') return answer(200, { status: 'pong', app: app.name, provider });
  if (event.kind === 'other') {
    return answer(202, {
      status: 'ignored',
      reason: `${provider} event "${event.name}" does not deploy; only pushes do`,
    });
  }
  const decision = decidePush(event.updates, app.branch);
  if (decision.action === 'ignore') return answer(202, { status: 'ignored', reason: decision.reason });
  const { buildId } = await deps.startBuild(app.name, {
    commit: decision.commit,
    ref: decision.ref,
    cloneUrl: event.repository.cloneUrl,
    repository: event.repository.fullName,
  });
  return answer(202, { status: 'building', build: buildId, commit: decision.commit });
}
