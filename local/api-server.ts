/**
 * The local API: the JSON routes of api/handler.ts, plus the streaming routes (push and
 * deploy output, log and event follow, one-off runs), git smart HTTP and the discovery
 * API, on one loopback port. Every route but discovery needs the bearer token.
 */
import { timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StreamFrame } from '../api/contract.ts';
import { createApiHandler, errorResponse } from '../api/handler.ts';
import type { ControlPlane } from '../core/control-plane.ts';
import { WharfError } from '../core/errors.ts';
import type { DeployStep } from '../core/domain.ts';
import type { RunTerminal } from '../core/ports.ts';
import { formatMs } from '../api/frames.ts';
import type { GitServer } from './git-server.ts';
import { readJson, sendJson, startStream } from './http-util.ts';
import { RunStdinRegistry } from './run-stdin.ts';

export interface ApiServerOptions {
  readonly cp: ControlPlane;
  readonly token: string;
  readonly git: GitServer;
  readonly tmpDir: string;
  readonly discovery?: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly maxJsonBytes?: number;
  /** the URL an app is served at, printed after a deploy */
  readonly appUrl?: (app: string) => string;
  readonly maxUploadBytes?: number;
}

export class ApiServer {
  private readonly options: ApiServerOptions;
  private readonly server: Server;
  private readonly handle: ReturnType<typeof createApiHandler>;
  private readonly expected: Buffer;
  private readonly runs = new RunStdinRegistry();

  constructor(options: ApiServerOptions) {
    this.options = options;
    this.handle = createApiHandler(options.cp);
    this.expected = Buffer.from(options.token);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent) {
          const r = errorResponse(e);
          sendJson(res, r.status, r.body);
        } else res.end();
      });
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 0; // pushes and follows are long; slow headers still time out
    this.server.keepAliveTimeout = 5_000;
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private authorized(req: IncomingMessage): boolean {
    const header = String(req.headers.authorization ?? '');
    let given = '';
    if (header.startsWith('Bearer ')) given = header.slice(7).trim();
    else if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      given = decoded.slice(decoded.indexOf(':') + 1);
    }
    const g = Buffer.from(given);
    return g.length === this.expected.length && timingSafeEqual(g, this.expected);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/discovery') && this.options.discovery?.(req, res)) return;
    if (url.pathname === '/health') return sendJson(res, 200, { ok: true });
    if (!this.authorized(req)) {
      if (url.pathname.startsWith('/git/')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="wharf"', 'content-type': 'text/plain' });
        res.end('authentication required: run `wharf create` or `wharf git-setup` to configure the token\n');
        return;
      }
      const r = errorResponse(
        new WharfError(
          'unauthorized',
          'missing or wrong API token: the token is in the data dir (`wharf login`)',
        ),
      );
      return sendJson(res, r.status, r.body);
    }
    const git = /^\/git\/([a-z0-9-]+)\.git(\/.*)?$/.exec(url.pathname);
    if (git) return this.options.git.handle(req, res, git[1]!, git[2] ?? '/');
    const deployMatch = /^\/apps\/([^/]+)\/deploy$/.exec(url.pathname);
    if (deployMatch && req.method === 'POST')
      return this.deploy(req, res, decodeURIComponent(deployMatch[1]!), url);
    const runMatch = /^\/apps\/([^/]+)\/run$/.exec(url.pathname);
    if (runMatch && req.method === 'POST') return this.run(req, res, decodeURIComponent(runMatch[1]!));
    const resizeMatch = /^\/apps\/([^/]+)\/runs\/([^/]+)\/resize$/.exec(url.pathname);
    if (resizeMatch && req.method === 'POST')
      return this.runResize(
        req,
        res,
        decodeURIComponent(resizeMatch[1]!),
        decodeURIComponent(resizeMatch[2]!),
      );
    const stdinMatch = /^\/apps\/([^/]+)\/runs\/([^/]+)\/stdin$/.exec(url.pathname);
    if (stdinMatch && req.method === 'POST')
      return this.runStdin(req, res, decodeURIComponent(stdinMatch[1]!), decodeURIComponent(stdinMatch[2]!));
    const follow = url.searchParams.get('follow') === 'true';
    const logMatch = /^\/apps\/([^/]+)\/log$/.exec(url.pathname);
    if (logMatch && follow && req.method === 'GET')
      return this.followLog(req, res, decodeURIComponent(logMatch[1]!), url);
    if (url.pathname === '/events' && follow && req.method === 'GET') return this.followEvents(req, res, url);
    const body =
      req.method === 'GET' || req.method === 'HEAD'
        ? undefined
        : await readJson(req, this.options.maxJsonBytes ?? 1024 * 1024);
    const result = await this.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body,
    });
    if (result.status === 201 && url.pathname === '/apps') {
      const name = (result.body as { name: string }).name;
      await this.options.git.ensureRepo(name);
    }
    if (req.method === 'DELETE' && /^\/apps\/[^/]+$/.test(url.pathname) && result.status === 200) {
      await this.options.git.removeRepo(decodeURIComponent(url.pathname.split('/')[2]!));
    }
    sendJson(res, result.status, result.body);
  }

  /** Source upload (from the git hook or `wharf deploy`): build and deploy, streaming output. */
  private async deploy(req: IncomingMessage, res: ServerResponse, app: string, url: URL): Promise<void> {
    const { cp } = this.options;
    await cp.appInfo(app); // 404 before reading the upload
    const rev = url.searchParams.get('rev') ?? `upload-${Date.now()}`;
    if (!/^[A-Za-z0-9._-]{1,80}$/.test(rev)) throw new WharfError('validation_error', `invalid rev "${rev}"`);
    const limit = this.options.maxUploadBytes ?? 512 * 1024 ** 2;
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      throw new WharfError(
        'payload_too_large',
        `source archive over ${Math.round(limit / 1024 ** 2)} MB: add large files to .slugignore or keep them out of git`,
      );
    }
    const dir = join(this.options.tmpDir, `upload-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await mkdir(dir, { recursive: true });
    const archive = join(dir, 'source.tar');
    const t0 = Date.now();
    let received = 0;
    try {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit)
          req.destroy(new WharfError('payload_too_large', `source archive over ${limit} bytes`));
      });
      await pipeline(req, createWriteStream(archive));
      const send = startStream(res);
      const steps: DeployStep[] = [{ name: 'receive', ms: Date.now() - t0 }];
      send({ out: `-----> Received ${app} ${rev.slice(0, 12)} (${Math.round(received / 1024)} KB)` });
      const onStep = (s: DeployStep) => {
        steps.push(s);
      };
      try {
        const result = await cp.push(app, {
          source: { kind: 'tar', path: archive },
          sourceVersion: rev,
          output: (line) => send({ out: line }),
          onStep,
        });
        send({ out: `-----> Deployed v${result.release?.version ?? '?'} in ${formatMs(Date.now() - t0)}:` });
        for (const s of summarize(steps)) send({ step: s });
        if (this.options.appUrl) send({ out: `-----> ${this.options.appUrl(app)} serves it` });
        send({ result });
      } catch (e) {
        for (const s of summarize(steps)) send({ step: s });
        const r = errorResponse(e);
        send(r.body as StreamFrame);
      }
      res.end();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * A one-off run. With `{stdin: true}` the first frame is `{run: {id}}` and the process
   * reads what `POST /apps/:app/runs/:id/stdin` sends; without it, stdin is /dev/null.
   */
  private async run(req: IncomingMessage, res: ServerResponse, app: string): Promise<void> {
    const body = (await readJson(req, 64 * 1024)) as
      | { command?: unknown; stdin?: unknown; tty?: unknown; detach?: unknown }
      | undefined;
    const command = body?.command;
    if (typeof command !== 'string')
      throw new WharfError('validation_error', 'give a command to run, e.g. `wharf run -- node -v`');
    if (body?.stdin !== undefined && typeof body.stdin !== 'boolean')
      throw new WharfError('validation_error', '"stdin" is true or false: whether the run reads input');
    const tty = body?.tty === undefined ? undefined : runTerminal(body.tty);
    if (tty && body?.stdin !== true)
      throw new WharfError('validation_error', '"tty" needs "stdin": true: a terminal is typed into');
    if (body?.detach !== undefined && typeof body.detach !== 'boolean')
      throw new WharfError(
        'validation_error',
        '"detach" is true or false: whether the run outlives the request',
      );
    if (body?.detach === true && (body.stdin === true || tty))
      throw new WharfError('validation_error', 'a detached run reads no input: leave out "stdin" and "tty"');
    await this.options.cp.appInfo(app);
    if (body?.detach === true) return this.runDetached(res, app, command);
    const stdin = body?.stdin === true ? this.runs.open(app) : null;
    const send = startStream(res);
    if (stdin) send({ run: { id: stdin.id } });
    // a client that left before the end stops the run: nobody reads it, nobody types into it
    const left = new AbortController();
    let ended = false;
    res.on('close', () => {
      stdin?.close();
      if (!ended) left.abort();
    });
    try {
      const result = await this.options.cp.runOneOff(app, command, {
        // raw bytes: `wharf run -- cat file > copy` must copy exactly
        stdout: (chunk) => send({ stdout: chunk.toString('base64') }),
        stderr: (chunk) => send({ stderr: chunk.toString('base64') }),
        ...(stdin ? { stdin: stdin.input } : {}),
        ...(tty && stdin ? { tty, onResize: (listener) => stdin.onResize(listener) } : {}),
        signal: left.signal,
      });
      ended = true;
      stdin?.close();
      send({ exit: { status: result.exitStatus, signal: result.signal } });
    } catch (e) {
      ended = true;
      stdin?.close();
      send(errorResponse(e).body as StreamFrame);
    }
    res.end();
  }

  /**
   * `{detach: true}` (`wharf run --detach`, Heroku's `run:detached`): the run outlives the
   * request; its output goes to the app's log only. The answer comes once it has started.
   */
  private async runDetached(res: ServerResponse, app: string, command: string): Promise<void> {
    // the supervisor logs its start and its exit to the app's log
    const started = new Promise<string>((resolve, reject) => {
      this.options.cp
        .runOneOff(app, command, { stdout: () => {}, stderr: () => {}, started: resolve })
        .then(() => {}, reject);
    });
    const instance = await started;
    const send = startStream(res);
    send({ run: { id: instance } });
    send({ out: `${instance} started, detached: \`wharf log -f -i ${instance}\` follows its output` });
    res.end();
  }

  /** `{rows, cols}`: the client's window changed size; the run's terminal follows. */
  private async runResize(req: IncomingMessage, res: ServerResponse, app: string, id: string): Promise<void> {
    const body = (await readJson(req, 1024)) as { rows?: unknown; cols?: unknown } | undefined;
    const size = terminalSize(body, 'a resize is {rows, cols}');
    const run = this.runs.find(app, id);
    if (!(await run.resize({ rows: size.rows, cols: size.cols })))
      throw new WharfError(
        'conflict',
        `run ${id} of ${app} has no terminal to resize: it was started without "tty"`,
      );
    sendJson(res, 200, { run: id, rows: size.rows, cols: size.cols });
  }

  /** The input of a run started with `{stdin: true}`: the body, streamed, until its end or the run's. */
  private async runStdin(req: IncomingMessage, res: ServerResponse, app: string, id: string): Promise<void> {
    let run: ReturnType<RunStdinRegistry['claim']>;
    try {
      run = this.runs.claim(app, id);
    } catch (e) {
      // the refused body is not read: the connection ends with the answer
      res.setHeader('connection', 'close');
      throw e;
    }
    const ending = await run.attach(req);
    // the rest of a body the process will not read is not waited for
    if (ending !== 'eof') res.setHeader('connection', 'close');
    sendJson(res, 200, { run: id, bytes: run.bytes, ending });
  }

  private async followLog(req: IncomingMessage, res: ServerResponse, app: string, url: URL): Promise<void> {
    const q = url.searchParams;
    const query = {
      ...(q.get('source') ? { source: q.get('source')! } : {}),
      ...(q.get('instance') ? { instance: q.get('instance')! } : {}),
    };
    const lines = Number(q.get('lines') ?? 100);
    const history = await this.options.cp.queryLogs(app, {
      ...query,
      lines: Number.isFinite(lines) ? lines : 100,
    });
    const send = startStream(res);
    for (const line of history) send({ log: line });
    const stop = await this.options.cp.followLogs(app, query, (line) => send({ log: line }));
    req.on('close', stop);
    res.on('close', stop);
  }

  private async followEvents(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const app = url.searchParams.get('app') ?? undefined;
    const history = await this.options.cp.listEvents({ ...(app ? { app } : {}), limit: 20 });
    const send = startStream(res);
    for (const e of history) send({ event: e });
    const stop = this.options.cp.followEvents(app ? { app } : {}, (e) => send({ event: e }));
    req.on('close', stop);
    res.on('close', stop);
  }
}

/** One line per stage (receive, build, release, start, health, switch), the same stages summed. */
function summarize(steps: readonly DeployStep[]): DeployStep[] {
  const order = ['receive', 'build', 'release', 'start', 'health', 'switch'];
  const totals = new Map<string, { ms: number; n: number }>();
  for (const s of steps) {
    const t = totals.get(s.name) ?? { ms: 0, n: 0 };
    t.ms += s.ms;
    t.n++;
    totals.set(s.name, t);
  }
  return order
    .filter((n) => totals.has(n))
    .map((name) => {
      const t = totals.get(name)!;
      return { name, ms: t.ms, ...(t.n > 1 ? { detail: `${t.n} instances` } : {}) };
    });
}

/** `{rows, cols, term}` of a run on a terminal, checked: it ends up in a command line. */
function runTerminal(raw: unknown): RunTerminal {
  const { rows, cols } = terminalSize(raw, '"tty" is {rows, cols, term}');
  const term = (raw as { term?: unknown }).term ?? 'xterm-256color';
  if (typeof term !== 'string' || !/^[A-Za-z0-9._+-]{1,64}$/.test(term)) {
    throw new WharfError(
      'validation_error',
      `"tty.term" is a terminal name like xterm-256color, not ${JSON.stringify(term)}`,
    );
  }
  return { rows, cols, term };
}

/** `{rows, cols}` of a terminal, whole numbers from 1 to 10 000. */
function terminalSize(raw: unknown, what: string): { rows: number; cols: number } {
  const t = raw as { rows?: unknown; cols?: unknown } | null;
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 10_000;
  if (typeof t !== 'object' || t === null || !ok(t.rows) || !ok(t.cols)) {
    throw new WharfError('validation_error', `${what}: rows and cols whole numbers from 1 to 10000`);
  }
  return { rows: t.rows as number, cols: t.cols as number };
}
