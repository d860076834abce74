import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entry, get, startRouter, startUpstream, type TestRouter, type Upstream } from './helpers.ts';

const MiB = 1024 * 1024;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function pattern(bytes: number): Buffer {
  return randomBytes(bytes);
}

describe('LocalRouter bodies and upgrades', () => {
  let r: TestRouter;
  let up: Upstream;
  const download = pattern(16 * MiB);
  /** released by the test once the client has seen the first chunk through the router */
  let releaseSecondChunk: () => void = () => {};
  /** what the upstream received of a request body before the client ended it */
  let firstChunkSeen: (chunk: string) => void = () => {};

  beforeAll(async () => {
    up = await startUpstream('stream', (req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      } else if (req.url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(download);
      } else if (req.url === '/drip') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first|');
        releaseSecondChunk = () => res.end('second');
      } else if (req.url === '/trickle-in') {
        req.once('data', (c: Buffer) => firstChunkSeen(c.toString()));
        let all = '';
        req.on('data', (c: Buffer) => {
          all += c.toString();
        });
        req.on('end', () => res.end(all));
      } else {
        res.end('ok');
      }
    });
    up.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\nX-Saw-Forwarded-For: ${req.headers['x-forwarded-for']}\r\n\r\n`,
      );
      if (head.length > 0) socket.write(head);
      // an echo server: every byte comes back upper-cased, so the test knows it went round
      socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
      socket.on('end', () => socket.end());
      socket.on('error', () => socket.destroy());
    });
    r = await startRouter();
    await r.router.setTable([entry('stream.localhost', [up.backend()])]);
  });
  afterAll(async () => {
    await r.router.close();
    await up.close();
  });

  it('streams a large upload to the upstream intact', async () => {
    const body = pattern(16 * MiB);
    const reply = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: r.port,
          method: 'POST',
          path: '/upload',
          headers: { host: 'stream.localhost' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      // chunked, in 1 MiB writes: the router must pass it on as it comes
      for (let i = 0; i < body.length; i += MiB) req.write(body.subarray(i, i + MiB));
      req.end();
    });
    expect(JSON.parse(reply)).toEqual({ bytes: body.length, sha256: sha256(body) });
  });

  it('streams a large download to the client intact', async () => {
    const got = await new Promise<Buffer>((resolve, reject) => {
      request(
        { host: '127.0.0.1', port: r.port, path: '/download', headers: { host: 'stream.localhost' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        },
      )
        .on('error', reject)
        .end();
    });
    expect(got.length).toBe(download.length);
    expect(sha256(got)).toBe(sha256(download));
  });

  it('passes response bytes on before the upstream has finished (no buffering)', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      request(
        { host: '127.0.0.1', port: r.port, path: '/drip', headers: { host: 'stream.localhost' } },
        (res) => {
          let all = '';
          res.on('data', (c: Buffer) => {
            all += c.toString();
            // the upstream ends only after the client has the first chunk in hand
            if (all === 'first|') releaseSecondChunk();
          });
          res.on('end', () => resolve(all));
        },
      )
        .on('error', reject)
        .end();
    });
    expect(text).toBe('first|second');
  });

  it('passes request bytes on before the client has finished (no buffering)', async () => {
    const req = request({
      host: '127.0.0.1',
      port: r.port,
      method: 'POST',
      path: '/trickle-in',
      headers: { host: 'stream.localhost', 'transfer-encoding': 'chunked' },
    });
    const response = once(req, 'response') as Promise<[IncomingMessage]>;
    const seen = new Promise<string>((resolve) => {
      firstChunkSeen = resolve;
    });
    req.write('hello ');
    // the rest is sent only once the upstream has the first part
    expect(await seen).toBe('hello ');
    req.end('world');
    const [res] = await response;
    let body = '';
    for await (const c of res) body += (c as Buffer).toString();
    expect(body).toBe('hello world');
  });

  it('passes a websocket upgrade through, both ways', async () => {
    const req = request({
      host: '127.0.0.1',
      port: r.port,
      path: '/ws',
      headers: {
        host: 'stream.localhost',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    });
    req.end();
    const [res, socket] = (await once(req, 'upgrade')) as [IncomingMessage, Socket, Buffer];
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(res.headers['x-saw-forwarded-for']).toBe('127.0.0.1');
    expect(r.router.stats().activeUpgrades).toBe(1);
    const replies: string[] = [];
    for (const message of ['ping', 'hello through the router']) {
      socket.write(message);
      let got = '';
      while (got.length < message.length) {
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        got += chunk.toString();
      }
      replies.push(got);
    }
    expect(replies).toEqual(['PING', 'HELLO THROUGH THE ROUTER']);
    socket.destroy();
  });

  it('relays the answer of a backend that declines an upgrade', async () => {
    const plain = await startUpstream('plain', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('no websockets here');
    });
    await r.router.setTable([entry('plain.localhost', [plain.backend()])]);
    const req = request({
      host: '127.0.0.1',
      port: r.port,
      path: '/',
      headers: { host: 'plain.localhost', connection: 'Upgrade', upgrade: 'websocket' },
    });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let body = '';
    for await (const c of res) body += (c as Buffer).toString();
    expect(res.statusCode).toBe(426);
    expect(body).toBe('no websockets here');
    // plain requests keep working on the same router
    await r.router.setTable([entry('stream.localhost', [up.backend()])]);
    expect((await get(r.port, 'stream.localhost', '/')).body).toBe('ok');
    await plain.close();
  });
});
