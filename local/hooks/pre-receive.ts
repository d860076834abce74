/**
 * The pre-receive hook of every app repo: `git archive` of the pushed commit goes to the
 * API's deploy route; the build and deploy output comes back as NDJSON and is printed
 * (git shows it to the pusher as `remote:` lines). Exit 1 fails the push.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { request } from 'node:http';
import { formatFrame } from '../../api/frames.ts';
import type { StreamFrame } from '../../api/contract.ts';

const app = process.argv[2]!;
const api = process.env['WHARF_API_URL']!;
const token = readFileSync(process.env['WHARF_TOKEN_FILE']!, 'utf8').trim();

async function main(): Promise<number> {
  const updates: Array<{ old: string; next: string; ref: string }> = [];
  for await (const line of createInterface({ input: process.stdin })) {
    const [old, next, ref] = line.trim().split(/\s+/);
    if (old && next && ref) updates.push({ old, next, ref });
  }
  const info = await getJson(`/apps/${app}`);
  const branch = String((info as { app?: { branch?: string } }).app?.branch ?? 'main');
  const deployRefs = new Set([`refs/heads/${branch}`, ...(branch === 'main' ? ['refs/heads/master'] : [])]);
  let status = 0;
  for (const u of updates) {
    if (!deployRefs.has(u.ref)) {
      process.stdout.write(
        `-----> ${u.ref} is not the deploy branch (${branch}): accepted without a build\n`,
      );
      continue;
    }
    if (/^0+$/.test(u.next)) {
      process.stdout.write(`-----> ${u.ref} deleted: nothing to build; the running release is unchanged\n`);
      continue;
    }
    // pushes of one app are serialised by the git server, so this check cannot race:
    // a push that read the branch before another push moved it is refused before it builds
    const current = await refValue(u.ref);
    if (current !== u.old && !(current === null && /^0+$/.test(u.old))) {
      process.stdout.write(
        ` !     ${u.ref} moved while you pushed (another push landed first): fetch, merge and push again\n`,
      );
      status = 1;
      break;
    }
    status = await deploy(u.next);
    if (status !== 0) break;
  }
  return status;
}

function refValue(ref: string): Promise<string | null> {
  return new Promise((resolve) => {
    const git = spawn('git', ['rev-parse', '--verify', '--quiet', ref], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    git.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    git.on('close', (code) => resolve(code === 0 ? out.trim() : null));
    git.on('error', () => resolve(null));
  });
}

function getJson(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function deploy(rev: string): Promise<number> {
  return new Promise((resolve) => {
    const archive = spawn('git', ['archive', '--format=tar', rev], { stdio: ['ignore', 'pipe', 'inherit'] });
    const req = request(
      `${api}/apps/${app}/deploy?rev=${rev}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-tar',
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        let ok = res.statusCode === 200;
        const lines = createInterface({ input: res });
        lines.on('line', (line) => {
          if (!line.trim()) return;
          let frame: StreamFrame;
          try {
            frame = JSON.parse(line) as StreamFrame;
          } catch {
            process.stdout.write(`${line}\n`);
            return;
          }
          if ('error' in frame) ok = false;
          const text = formatFrame(frame);
          if (text !== null) process.stdout.write(text);
        });
        lines.on('close', () => resolve(ok ? 0 : 1));
      },
    );
    req.on('error', (e) => {
      process.stdout.write(` !     could not reach the Wharf API at ${api}: ${e.message}\n`);
      resolve(1);
    });
    archive.stdout.pipe(req);
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stdout.write(` !     push failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
