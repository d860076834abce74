/**
 * The typed API client: what the CLI (and tests) use to talk to a Wharf platform, local
 * or on AWS. Errors come back as WharfError with the server's code and message.
 */
import type { AutoscalingConfig } from '../core/autoscaling.ts';
import { type ErrorCode, WharfError } from '../core/errors.ts';
import type {
  App,
  AppInfo,
  Build,
  Deployment,
  Formation,
  Instance,
  LogLine,
  Release,
  ReleaseChange,
  Resource,
  Route,
  StreamFrame,
  WharfEvent,
} from './contract.ts';
import { isErrorCode } from './errors.ts';

/** What a signer sees of a request: the body as sent (JSON text, or '' for none). */
export interface SignableRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Returns the headers to add (SigV4's authorization, x-amz-date… for the AWS API). */
export type RequestSigner = (req: SignableRequest) => Promise<Record<string, string>>;

export interface ClientOptions {
  readonly url: string;
  readonly token?: string;
  /** signs a request (SigV4 for the AWS API); returns headers to add */
  readonly sign?: RequestSigner;
  /**
   * Rewrites an error before it is thrown: a transport adds its own hint (which IAM
   * permission is missing, which credentials to set). `status` is 0 when nothing answered.
   */
  readonly explain?: (error: WharfError, status: number) => WharfError;
}

export class WharfClient {
  private readonly options: ClientOptions;
  constructor(options: ClientOptions) {
    this.options = { ...options, url: options.url.replace(/\/$/, '') };
  }

  private async headers(method: string, url: string, body: string, extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (body) headers['content-type'] ??= 'application/json';
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    if (this.options.sign) Object.assign(headers, await this.options.sign({ method, url, headers, body }));
    return headers;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.options.url}${path}`;
    const text = body === undefined ? '' : JSON.stringify(body);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: await this.headers(method, url, text),
        ...(text ? { body: text } : {}),
      });
    } catch (e) {
      throw this.unreachable(e);
    }
    const raw = await res.text();
    let data: unknown;
    try {
      data = raw ? JSON.parse(raw) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) throw this.explained(toError(res.status, data, raw), res.status);
    return data as T;
  }

  private explained(e: WharfError, status: number): WharfError {
    return this.options.explain ? this.options.explain(e, status) : e;
  }

  private unreachable(cause: unknown): WharfError {
    // a signer's own errors (no credentials) already say what to do
    if (cause instanceof WharfError) return cause;
    return this.explained(
      new WharfError('unavailable', `cannot reach Wharf at ${this.options.url}: is \`wharf up\` running?`, {
        cause,
      }),
      0,
    );
  }

  listApps = () => this.request<App[]>('GET', '/apps');
  /** AWS only: the IAM identity that signed the request */
  whoami = () => this.request<{ arn: string; account: string; userId: string }>('GET', '/whoami');
  createApp = (name: string) => this.request<App>('POST', '/apps', { name });
  appInfo = (app: string) => this.request<AppInfo>('GET', `/apps/${enc(app)}`);
  updateApp = (app: string, patch: Record<string, unknown>) =>
    this.request<App>('PATCH', `/apps/${enc(app)}`, patch);
  destroyApp = (app: string) =>
    this.request<{ destroyed: string }>('DELETE', `/apps/${enc(app)}?confirm=true`);
  getEnv = (app: string, type?: string) =>
    this.request<Record<string, string>>('GET', `/apps/${enc(app)}/env${type ? `?type=${enc(type)}` : ''}`);
  changeEnv = (
    app: string,
    change: { set?: Record<string, string>; unset?: string[]; processType?: string },
  ) => this.request<ReleaseChange>('PATCH', `/apps/${enc(app)}/env`, change);
  listReleases = (app: string) => this.request<Release[]>('GET', `/apps/${enc(app)}/releases`);
  getRelease = (app: string, version?: string) =>
    this.request<Release>('GET', `/apps/${enc(app)}/releases/${version ? enc(version) : 'current'}`);
  rollback = (app: string, version?: string) =>
    this.request<ReleaseChange>('POST', `/apps/${enc(app)}/rollback`, version ? { version } : {});
  getFormation = (app: string) => this.request<Formation>('GET', `/apps/${enc(app)}/formation`);
  scale = (app: string, processes: Record<string, number>) =>
    this.request<Formation>('PUT', `/apps/${enc(app)}/formation`, { processes });
  /** CPU and memory per process type, e.g. `{ web: { cpu: '1', memory: '2 GB' } }`; null resets a type. */
  resize = (app: string, sizes: Record<string, { cpu?: string; memory?: string } | null>) =>
    this.request<{ formation: Formation; deployment: Deployment | null }>(
      'PUT',
      `/apps/${enc(app)}/formation/sizes`,
      { sizes },
    );
  /** AWS only: a target-tracking policy for one process type, or `null` to remove it. */
  setAutoscaling = (app: string, type: string, config: AutoscalingConfig | null) =>
    this.request<{ app: string; processType: string; autoscaling: AutoscalingConfig | null }>(
      'PUT',
      `/apps/${enc(app)}/autoscaling/${enc(type)}`,
      config,
    );
  // --- AWS only (functions/lib/aws-routes.ts): what API Gateway cannot stream -------------
  /** a presigned URL to PUT a `git archive` (gzip tar) to, valid for `expiresInSeconds` */
  createSourceUpload = (app: string) =>
    this.request<{ url: string; key: string; location: string; expiresInSeconds: number }>(
      'POST',
      `/apps/${enc(app)}/sources`,
    );
  /** builds the uploaded source `id` (from the upload's key); the build runs on CodeBuild */
  deploySource = (app: string, id: string, version?: string) =>
    this.request<{ build: Build }>(
      'POST',
      `/apps/${enc(app)}/sources/${enc(id)}/deploy`,
      version ? { version } : {},
    );
  /** starts a one-off ECS task of the current release; its lines are in the log under `logs` */
  startRun = (app: string, command: string) =>
    this.request<{ taskId: string; logs: { source: string; instance: string } }>(
      'POST',
      `/apps/${enc(app)}/runs`,
      { command },
    );
  getRun = (app: string, taskId: string) =>
    this.request<{ status: string; exitCode: number | null; stoppedReason: string | null }>(
      'GET',
      `/apps/${enc(app)}/runs/${enc(taskId)}`,
    );
  /** the app's CloudWatch log group, for Live Tail with the caller's own credentials */
  logGroup = (app: string) =>
    this.request<{ region: string; logGroupName: string; logGroupArn: string | null }>(
      'GET',
      `/apps/${enc(app)}/log-group`,
    );
  /** sets (or generates) the secret git hosts sign webhook deliveries with */
  setWebhookSecret = (app: string, secret?: string) =>
    this.request<{ secret: string; path: string }>(
      'PUT',
      `/apps/${enc(app)}/webhook`,
      secret ? { secret } : {},
    );
  instances = (app: string) => this.request<Instance[]>('GET', `/apps/${enc(app)}/instances`);
  restart = (app: string) => this.request<Deployment>('POST', `/apps/${enc(app)}/restart`);
  listRoutes = (app: string) => this.request<Route[]>('GET', `/apps/${enc(app)}/routes`);
  addRoute = (
    app: string,
    route: { domain: string; path?: string; leader?: boolean; sticky?: boolean; processType?: string },
  ) => this.request<Route>('POST', `/apps/${enc(app)}/routes`, route);
  removeRoute = (app: string, id: string) =>
    this.request<{ removed: string }>('DELETE', `/apps/${enc(app)}/routes/${enc(id)}`);
  listBuilds = (app: string) => this.request<Build[]>('GET', `/apps/${enc(app)}/builds`);
  getBuild = (id: string) => this.request<Build>('GET', `/builds/${enc(id)}`);
  buildLog = (id: string) => this.request<LogLine[]>('GET', `/builds/${enc(id)}/log`);
  listDeployments = (app: string) => this.request<Deployment[]>('GET', `/apps/${enc(app)}/deployments`);
  logs = (app: string, q: { source?: string; instance?: string; lines?: number } = {}) =>
    this.request<LogLine[]>('GET', `/apps/${enc(app)}/log${qs(q)}`);
  events = (q: { app?: string; after?: number; limit?: number } = {}) =>
    this.request<WharfEvent[]>('GET', `/events${qs(q)}`);
  listResources = (app: string) => this.request<Resource[]>('GET', `/apps/${enc(app)}/resources`);
  addResource = (app: string, provider: string, name?: string) =>
    this.request<{ resource: Resource; release: Release | null; deployment: Deployment | null }>(
      'POST',
      `/apps/${enc(app)}/resources`,
      { provider, ...(name ? { name } : {}) },
    );
  resourceInfo = (app: string, name: string, reveal = false) =>
    this.request<Resource>('GET', `/apps/${enc(app)}/resources/${enc(name)}${reveal ? '?reveal=true' : ''}`);
  removeResource = (app: string, name: string, options: { keepData?: boolean } = {}) =>
    this.request<unknown>(
      'DELETE',
      `/apps/${enc(app)}/resources/${enc(name)}?confirm=true${options.keepData === undefined ? '' : `&keep_data=${options.keepData}`}`,
    );

  /** A streaming route: calls onFrame for every NDJSON frame until the server ends it or signal aborts. */
  async stream(
    method: string,
    path: string,
    body: Uint8Array | string | undefined,
    onFrame: (frame: StreamFrame) => void,
    options: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    const url = `${this.options.url}${path}`;
    let res: Response;
    try {
      const headers = await this.headers(method, url, typeof body === 'string' ? body : '', {
        accept: 'application/x-ndjson',
        ...(options.contentType ? { 'content-type': options.contentType } : {}),
      });
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body, duplex: 'half' } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      } as RequestInit);
    } catch (e) {
      if (options.signal?.aborted) return;
      throw this.unreachable(e);
    }
    if (!res.ok || !res.body) {
      const raw = await res.text();
      let data: unknown;
      try {
        data = JSON.parse(raw);
      } catch {
        data = undefined;
      }
      throw this.explained(toError(res.status, data, raw), res.status);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i = buffer.indexOf('\n');
        while (i >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.trim()) onFrame(JSON.parse(line) as StreamFrame);
          i = buffer.indexOf('\n');
        }
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      throw e;
    }
  }

  /** Uploads a source archive (tar) and streams the build and deploy. */
  deploy(app: string, tar: Uint8Array, rev: string, onFrame: (f: StreamFrame) => void) {
    return this.stream('POST', `/apps/${enc(app)}/deploy?rev=${enc(rev)}`, tar as Uint8Array, onFrame, {
      contentType: 'application/x-tar',
    });
  }
  /**
   * A one-off run (local platform). With `stdin: true` the first frame is `{run: {id}}`:
   * send the input with `sendRunStdin(app, id, …)`; without it the process's stdin is /dev/null.
   */
  run(
    app: string,
    command: string,
    onFrame: (f: StreamFrame) => void,
    options: {
      stdin?: boolean;
      tty?: { rows: number; cols: number; term: string };
      detach?: boolean;
      /** aborting it leaves the run (which then stops: it lasts as long as its client) */
      signal?: AbortSignal;
    } = {},
  ) {
    const body = JSON.stringify({
      command,
      ...(options.detach ? { detach: true } : {}),
      ...(options.stdin ? { stdin: true } : {}),
      ...(options.tty ? { tty: options.tty } : {}),
    });
    return this.stream('POST', `/apps/${enc(app)}/run`, body, onFrame, {
      contentType: 'application/json',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** A run on a terminal (local platform): its window is now `rows` × `cols`. */
  resizeRun = (app: string, id: string, size: { rows: number; cols: number }) =>
    this.request<{ run: string; rows: number; cols: number }>(
      'POST',
      `/apps/${enc(app)}/runs/${enc(id)}/resize`,
      size,
    );

  /**
   * Sends `input` as the stdin of the run `id` (local platform), as one chunked request.
   * Resolves with the server's answer, which comes at the end of the input or, if sooner,
   * at the end of the run: then the rest of `input` is not read. The caller owns `input`
   * (destroy a stream it stopped reading). `signal` stops sending; the promise then rejects.
   */
  async sendRunStdin(
    app: string,
    id: string,
    input: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<{ run: string; bytes: number; ending: string }> {
    if (this.options.sign)
      throw new WharfError('validation_error', 'a run reads stdin on the local platform only (`wharf up`)');
    const url = new URL(`${this.options.url}/apps/${enc(app)}/runs/${enc(id)}/stdin`);
    const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const headers = await this.headers('POST', url.href, '', {
      'content-type': 'application/octet-stream',
    });
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, agent: false });
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        f();
      };
      // sending stops at the answer, the connection's end or the caller's abort
      const stop = new Promise<typeof STOP>((r) => {
        req.once('response', () => r(STOP));
        req.once('close', () => r(STOP));
        signal?.addEventListener('abort', () => r(STOP), { once: true });
      });
      const onAbort = () => {
        settle(() => reject(signal?.reason ?? new Error('aborted')));
        req.destroy();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => settle(() => reject(this.unreachable(e))));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => settle(() => reject(this.unreachable(e))));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let data: unknown;
          try {
            data = JSON.parse(raw);
          } catch {
            data = undefined;
          }
          const status = res.statusCode ?? 0;
          settle(() =>
            status === 200
              ? resolve(data as { run: string; bytes: number; ending: string })
              : reject(this.explained(toError(status, data, raw), status)),
          );
          req.destroy();
        });
      });
      void (async () => {
        const chunks = input[Symbol.asyncIterator]();
        try {
          for (;;) {
            const next = await Promise.race([chunks.next(), stop]);
            if (next === STOP || next.done) break;
            if (!req.write(next.value)) await Promise.race([once(req, 'drain'), stop]);
          }
        } catch {
          // input that cannot be read (a closed descriptor) ends like end of file
        }
        if (!req.destroyed && !req.writableEnded) req.end();
      })();
    });
  }
  followLogs(
    app: string,
    q: { source?: string; instance?: string; lines?: number },
    onFrame: (f: StreamFrame) => void,
    signal?: AbortSignal,
  ) {
    return this.stream(
      'GET',
      `/apps/${enc(app)}/log${qs({ ...q, follow: 'true' })}`,
      undefined,
      onFrame,
      signal ? { signal } : {},
    );
  }
  followEvents(q: { app?: string }, onFrame: (f: StreamFrame) => void, signal?: AbortSignal) {
    return this.stream(
      'GET',
      `/events${qs({ ...q, follow: 'true' })}`,
      undefined,
      onFrame,
      signal ? { signal } : {},
    );
  }
}

const STOP = Symbol('stop');

function once(emitter: { once(event: string, listener: () => void): unknown }, event: string): Promise<void> {
  return new Promise((resolve) => {
    emitter.once(event, () => resolve());
  });
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function qs(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function toError(status: number, data: unknown, raw: string): WharfError {
  const err = (data as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } })
    ?.error;
  const code: ErrorCode = isErrorCode(err?.code)
    ? err.code
    : status === 401
      ? 'unauthorized'
      : status === 403
        ? 'forbidden'
        : status === 404
          ? 'not_found'
          : 'internal';
  // API Gateway answers its own refusals as {"message": "..."} (REST APIs: "Message")
  const said = data as { message?: unknown; Message?: unknown } | undefined;
  const gateway = said?.message ?? said?.Message;
  const message =
    typeof err?.message === 'string'
      ? err.message
      : typeof gateway === 'string'
        ? `HTTP ${status}: ${gateway}`
        : `HTTP ${status}: ${raw.slice(0, 200)}`;
  return new WharfError(code, message, err?.details ? { details: err.details } : {});
}
