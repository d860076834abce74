/** Small helpers for the local API server: JSON bodies with a size limit, NDJSON streams. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WharfError } from '../core/errors.ts';
import type { StreamFrame } from '../api/contract.ts';

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    throw new WharfError('payload_too_large', `request body over ${limit} bytes: send less`);
  // a JSON body that stops arriving must not hold its socket forever (the server has no
  // overall request timeout, because pushes and follows are long)
  req.setTimeout(30_000, () =>
    req.destroy(new WharfError('validation_error', 'request body timed out: send it whole')),
  );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new WharfError('payload_too_large', `request body over ${limit} bytes: send less`);
    chunks.push(chunk as Buffer);
  }
  req.setTimeout(0);
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) return undefined;
  const type = String(req.headers['content-type'] ?? 'application/json');
  if (!type.includes('json')) {
    throw new WharfError(
      'unsupported_media_type',
      `send JSON with content-type application/json, not ${type}`,
    );
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new WharfError(
      'validation_error',
      `malformed JSON body: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

export function startStream(res: ServerResponse): (frame: StreamFrame) => void {
  res.writeHead(200, {
    'content-type': 'application/x-ndjson',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  return (frame) => {
    if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(frame)}\n`);
  };
}
