import dgram from 'node:dgram';
import net from 'node:net';
import type { DiscoveryInstance } from '../../core/ports.ts';

/** Instances i-1..i-n on 127.0.0.x, started one second apart (i-1 oldest). */
export function instances(n: number, basePort = 5000): DiscoveryInstance[] {
  return Array.from({ length: n }, (_, k) => ({
    id: `i-${k + 1}`,
    host: `127.0.0.${(k % 250) + 1}`,
    port: basePort + k + 1,
    startedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, k)).toISOString(),
    healthy: true,
  }));
}

/** Sends one UDP datagram and waits for one reply, or null after timeoutMs. */
export function udpExchange(port: number, packet: Uint8Array, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (reply: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (msg) => finish(msg));
    socket.on('error', () => finish(null));
    socket.send(packet, port, '127.0.0.1');
  });
}

/** Fire-and-forget UDP datagrams from one socket. */
export async function udpBlast(port: number, packets: Uint8Array[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  for (const p of packets) {
    await new Promise<void>((resolve) => socket.send(p, port, '127.0.0.1', () => resolve()));
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

/** A DNS-over-TCP client: writes length-prefixed messages, reads length-prefixed replies in order. */
export class TcpDnsClient {
  readonly socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((reply: Buffer | null) => void)[] = [];
  #closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 2 && this.#waiting.length > 0) {
        const len = this.#buffer.readUInt16BE(0);
        if (this.#buffer.length < 2 + len) break;
        const msg = this.#buffer.subarray(2, 2 + len);
        this.#buffer = this.#buffer.subarray(2 + len);
        this.#waiting.shift()!(Buffer.from(msg));
      }
    });
    const end = () => {
      this.#closed = true;
      for (const w of this.#waiting.splice(0)) w(null);
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static connect(port: number): Promise<TcpDnsClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new TcpDnsClient(socket)));
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends raw bytes (not framed). */
  writeRaw(bytes: Uint8Array): void {
    if (!this.#closed) this.socket.write(bytes);
  }

  /** Promises for the next `n` replies, for bytes written with writeRaw. */
  replies(n: number): Promise<(Buffer | null)[]> {
    const replies = Array.from({ length: n }, () => new Promise<Buffer | null>((r) => this.#waiting.push(r)));
    if (this.#closed) for (const w of this.#waiting.splice(0)) w(null);
    return Promise.all(replies);
  }

  /** Frames and sends `messages`, resolving with one reply per message (null if the connection closed). */
  query(...messages: Uint8Array[]): Promise<(Buffer | null)[]> {
    const replies = this.replies(messages.length);
    for (const m of messages) {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(m.length);
      this.writeRaw(Buffer.concat([prefix, m]));
    }
    return replies;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Decoded response essentials, read independently of the server's own parser. */
export function responseFacts(msg: Buffer) {
  const flags = msg.readUInt16BE(2);
  return {
    id: msg.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    qdcount: msg.readUInt16BE(4),
    ancount: msg.readUInt16BE(6),
    nscount: msg.readUInt16BE(8),
    arcount: msg.readUInt16BE(10),
  };
}
