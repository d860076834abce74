/**
 * The local discovery resolver: an authoritative DNS server for the discovery zone on
 * loopback, over UDP and TCP on the same port (RFC 7766: TCP carries 2-byte length
 * prefixed messages, several per connection). It answers from a DiscoveryRegistry.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { normalizeZone } from '../../../core/discovery/names.ts';
import { answerPacket } from './dns-answer.ts';
import type { DiscoveryRegistry } from './registry.ts';

export interface DnsServerOptions {
  readonly registry: DiscoveryRegistry;
  /** @default 'wharf.internal' */
  readonly zone?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 - an ephemeral port, the same for UDP and TCP; read it from `port` */
  readonly port?: number;
  /** seconds; short so that changes reach clients that cache @default 2 */
  readonly ttl?: number;
  /** @default 256 */
  readonly maxTcpConnections?: number;
  /** idle TCP connections are closed after this long @default 10000 */
  readonly tcpIdleMs?: number;
  /** socket errors that were survived (for the platform's logger) */
  readonly onError?: (error: Error) => void;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, the value of WHARF_DISCOVERY_DNS */
  readonly address: string;
  readonly zone: string;
  close(): Promise<void>;
}

export class DnsServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DnsServerError';
  }
}

/** TCP frames longer than this cannot be a query we answer; such a peer is cut off. */
const MAX_TCP_BUFFER = 2 * 65_537;
const MAX_TCP_WRITE_BACKLOG = 1 << 20;

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // A larger receive buffer rides out bursts (every instance resolving at once after a deploy).
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 1 << 20 });
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  const zone = normalizeZone(options.zone ?? 'wharf.internal');
  const ttl = options.ttl ?? 2;
  const idleMs = options.tcpIdleMs ?? 10_000;
  const onError = options.onError ?? (() => {});
  let rotation = 0;
  const answer = (packet: Uint8Array, transport: 'udp' | 'tcp') =>
    answerPacket(packet, { registry: options.registry, zone, ttl, transport, rotation: rotation++ });

  const connections = new Set<net.Socket>();
  const tcp = net.createServer((socket) => serveTcp(socket, answer, idleMs, onError, connections));
  tcp.maxConnections = options.maxTcpConnections ?? 256;
  tcp.on('error', onError);

  // With an ephemeral port, UDP picks it and TCP may find it taken: try again a few times.
  let udp: dgram.Socket | undefined;
  for (let attempt = 0; ; attempt++) {
    const candidate = await bindUdp(host, options.port ?? 0).catch((e: unknown) => {
      throw new DnsServerError(
        `cannot bind the discovery DNS server to udp ${host}:${options.port ?? 0}: ${e}`,
        {
          cause: e,
        },
      );
    });
    try {
      await listenTcp(tcp, host, candidate.address().port);
      udp = candidate;
      break;
    } catch (e) {
      await closeUdp(candidate);
      if ((options.port ?? 0) !== 0 || attempt >= 9) {
        throw new DnsServerError(
          `cannot bind the discovery DNS server to tcp ${host}:${candidate.address().port}: ${e}; choose another port`,
          { cause: e },
        );
      }
    }
  }
  const port = udp.address().port;
  udp.on('error', onError);
  udp.on('message', (msg, rinfo) => {
    const reply = answer(msg, 'udp');
    if (reply) udp.send(reply, rinfo.port, rinfo.address, (e) => e && onError(e));
  });

  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    address: `${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
    zone,
    close() {
      closed ??= (async () => {
        for (const c of connections) c.destroy();
        await Promise.all([closeUdp(udp), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      })();
      return closed;
    },
  };
}

function serveTcp(
  socket: net.Socket,
  answer: (packet: Uint8Array, transport: 'tcp') => Buffer | null,
  idleMs: number,
  onError: (e: Error) => void,
  connections: Set<net.Socket>,
): void {
  connections.add(socket);
  socket.setNoDelay(true);
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('error', (e) => {
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') onError(e);
  });
  socket.on('close', () => connections.delete(socket));
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (pending.length > MAX_TCP_BUFFER) {
      socket.destroy();
      return;
    }
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const message = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      const reply = answer(message, 'tcp');
      if (!reply) {
        // Nothing to address an answer to: the stream cannot be trusted any more.
        socket.destroy();
        return;
      }
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(reply.length);
      socket.write(Buffer.concat([prefix, reply]));
      if (socket.writableLength > MAX_TCP_WRITE_BACKLOG) {
        // A client that sends but never reads would grow our memory without bound.
        socket.destroy();
        return;
      }
    }
  });
}
