/**
 * A tiny app for benchmarks, run as its own process: answers every request with a
 * short body. Prints `{"port":N}` on stdout once listening; stops on SIGTERM or when
 * its parent goes away.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('hello from the upstream\n');
const server = createServer((_req, res) => {
  res.writeHead(200, ['content-type', 'text/plain', 'content-length', String(body.length)]);
  res.end(body);
});
// longer than any client's idle time in a bench run, so the upstream never closes a pooled socket first
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
