/**
 * Git smart HTTP for pushes, through `git http-backend` (CGI). Each app has a bare repo
 * whose pre-receive hook sends the pushed tree to the API's deploy route and relays the
 * build output, so the pusher sees it and the push fails when the build fails.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../adapters/local/run-command.ts';

const HOOK = fileURLToPath(new URL('./hooks/pre-receive.ts', import.meta.url));

export interface GitServerOptions {
  readonly reposDir: string;
  /** base URL of the API, for the hook */
  readonly apiUrl: () => string;
  readonly tokenFile: string;
  readonly nodePath: string;
}

export class GitServer {
  private readonly options: GitServerOptions;
  /** one receive-pack per app at a time, so a push's build and its ref update are one step */
  private readonly receiving = new Map<string, Promise<void>>();
  constructor(options: GitServerOptions) {
    this.options = options;
  }

  repoPath(app: string): string {
    return join(this.options.reposDir, `${app}.git`);
  }

  async ensureRepo(app: string): Promise<void> {
    const repo = this.repoPath(app);
    if (!existsSync(join(repo, 'HEAD'))) {
      await mkdir(repo, { recursive: true });
      await runCommand('git', ['init', '--quiet', '--bare', '--initial-branch=main', repo]);
      await runCommand('git', ['-C', repo, 'config', 'http.receivepack', 'true']);
      await runCommand('git', ['-C', repo, 'config', 'receive.denyDeletes', 'false']);
    }
    const hook = join(repo, 'hooks', 'pre-receive');
    await mkdir(join(repo, 'hooks'), { recursive: true });
    await writeFile(
      hook,
      `#!/usr/bin/env bash\n# Wharf: build and deploy the pushed commit; a failed build fails the push.\nexec "$WHARF_NODE" "$WHARF_HOOK" "${app}"\n`,
    );
    await chmod(hook, 0o755);
  }

  async removeRepo(app: string): Promise<void> {
    await rm(this.repoPath(app), { recursive: true, force: true });
  }

  /** Serves `/git/<app>.git/...`; the caller has authenticated the request. */
  async handle(req: IncomingMessage, res: ServerResponse, app: string, rest: string): Promise<void> {
    if (rest !== '/git-receive-pack') return this.serve(req, res, app, rest);
    const before = this.receiving.get(app) ?? Promise.resolve();
    const mine = before.then(() => this.serve(req, res, app, rest));
    const tail = mine.catch(() => {});
    this.receiving.set(app, tail);
    try {
      await mine;
    } finally {
      if (this.receiving.get(app) === tail) this.receiving.delete(app);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse, app: string, rest: string): Promise<void> {
    if (!existsSync(this.repoPath(app))) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`app "${app}" not found: create it with \`wharf create ${app}\`\n`);
      return;
    }
    await this.ensureRepo(app);
    const url = new URL(req.url ?? '/', 'http://x');
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      GIT_PROJECT_ROOT: this.options.reposDir,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${app}.git${rest}`,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
      REMOTE_USER: 'wharf',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      WHARF_NODE: this.options.nodePath,
      WHARF_HOOK: HOOK,
      WHARF_API_URL: this.options.apiUrl(),
      WHARF_TOKEN_FILE: this.options.tokenFile,
    };
    if (req.headers['content-encoding'])
      env['HTTP_CONTENT_ENCODING'] = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env['GIT_PROTOCOL'] = String(req.headers['git-protocol']);
    if (req.headers['content-length']) env['CONTENT_LENGTH'] = String(req.headers['content-length']);
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(child.stdin);
    child.stdin.on('error', () => {});
    child.stderr.on('data', () => {});
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = head.indexOf('\n\n');
      const cut = end >= 0 ? end : endLf;
      if (cut < 0) return;
      const sepLen = end >= 0 ? 4 : 2;
      const lines = head.subarray(0, cut).toString('latin1').split(/\r?\n/);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10) || 200;
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      headersDone = true;
      const restBody = head.subarray(cut + sepLen);
      if (restBody.length) res.write(restBody);
    });
    await new Promise<void>((resolve) => {
      child.on('close', () => {
        if (!headersDone) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('git http-backend failed\n');
        } else res.end();
        resolve();
      });
      child.on('error', () => resolve());
    });
  }
}
