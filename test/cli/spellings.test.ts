/**
 * Heroku's and Dokku's spellings reach the same API calls as Wharf's own, and a mistyped
 * command gets a suggestion. The CLI runs in process against a recording API on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respell, suggest } from '../../cli/spellings.ts';
import { main } from '../../cli/wharf.ts';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}

const seen: { method: string; path: string; body: unknown }[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', body: body ? JSON.parse(body) : null });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.endsWith('/env')) {
        res.end(JSON.stringify({ release: { version: 4, description: 'set GREETING' }, deployment: null }));
      } else res.end(JSON.stringify({ processes: { web: 2 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function wharf(argv: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(argv, {
    stdout: out.stream,
    stderr: err.stream,
    env: { WHARF_URL: url, WHARF_TOKEN: 't', PATH: process.env['PATH'] ?? '' },
    cwd: process.cwd(),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('Heroku and Dokku spellings', () => {
  it('rewrites topic:command spellings to Wharf’s words and leaves the rest of the line', () => {
    expect(respell(['config:set', 'A=1', '-a', 'shop'])).toEqual(['env', 'set', 'A=1', '-a', 'shop']);
    expect(respell(['ps:scale', 'web=2'])).toEqual(['scale', 'web=2']);
    expect(respell(['addons:create', 'postgres'])).toEqual(['resource', 'add', 'postgres']);
    expect(respell(['logs:tail'])).toEqual(['log', '-f']);
    expect(respell(['scale', 'web=2'])).toEqual(['scale', 'web=2']);
    expect(respell([])).toEqual([]);
  });

  it('config:set and ps:scale make the same API calls as env set and scale', async () => {
    seen.length = 0;
    const set = await wharf(['config:set', 'GREETING=hi', '-a', 'shop']);
    expect(set.stderr).toContain('v4: set GREETING');
    expect(set.code).toBe(0);
    const scaled = await wharf(['ps:scale', 'web=2', '-a', 'shop', '--json']);
    expect(scaled.code).toBe(0);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /apps/shop/env',
      'PUT /apps/shop/formation',
    ]);
    expect(seen[0]!.body).toEqual({ set: { GREETING: 'hi' } });
    expect(seen[1]!.body).toEqual({ processes: { web: 2 } });
  });

  it('suggests the command a typo meant, and nothing for a word that is not close', async () => {
    expect(suggest('sclae', ['scale', 'apps'])).toBe('scale');
    expect(suggest('deploi', ['deploy', 'destroy'])).toBe('deploy');
    expect(suggest('frobnicate', ['scale', 'apps'])).toBeNull();
    const typo = await wharf(['sclae', 'web=2']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown command "sclae": did you mean `wharf scale`?');
    const far = await wharf(['frobnicate']);
    expect(far.stderr).toBe('wharf: unknown command "frobnicate" (see `wharf help`)\n');
  });

  it('lists the spellings in the help', async () => {
    const help = await wharf(['help']);
    expect(help.stdout).toContain("Heroku's and Dokku's spellings work too: config, config:set");
  });
});
