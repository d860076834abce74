/**
 * A bucket on 127.0.0.1 for presigned PUTs: it keeps each object's body and, as S3 does,
 * refuses a body whose CRC32 differs from the one signed into the URL.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export interface FakeS3 {
  readonly url: string;
  readonly objects: Map<string, { body: Buffer; contentType: string; query: URLSearchParams }>;
  /** the next PUT gets this S3 error */
  refuseNext: { status: number; code: string; message: string } | null;
  close(): Promise<void>;
}

function checksumOf(body: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body));
  return b.toString('base64');
}

export async function startFakeS3(): Promise<FakeS3> {
  const s3: FakeS3 = {
    url: '',
    objects: new Map(),
    refuseNext: null,
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://s3');
      const body = Buffer.concat(chunks);
      const error = (status: number, code: string, message: string) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        );
      };
      if (req.method !== 'PUT' || !url.searchParams.has('X-Amz-Signature')) {
        return error(403, 'AccessDenied', 'Only presigned PUTs here');
      }
      if (s3.refuseNext) {
        const r = s3.refuseNext;
        s3.refuseNext = null;
        return error(r.status, r.code, r.message);
      }
      const signedCrc = url.searchParams.get('x-amz-checksum-crc32');
      if (signedCrc !== null && signedCrc !== checksumOf(body)) {
        return error(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
      }
      s3.objects.set(decodeURIComponent(url.pathname), {
        body,
        contentType: String(req.headers['content-type'] ?? ''),
        query: url.searchParams,
      });
      res.writeHead(200, { etag: '"x"' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(s3, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
