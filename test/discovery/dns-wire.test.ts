import { describe, expect, it } from 'vitest';
import {
  DnsFormatError,
  encodeQuery,
  encodeResponse,
  parseQuery,
  readName,
  srvData,
  TYPE,
} from '../../adapters/local/discovery/dns-wire.ts';

const bytes = (...parts: (number[] | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('DNS wire format', () => {
  it('follows a backward compression pointer', () => {
    // "wharf.internal" at 0, then "web" + pointer to 0 at 16.
    const buf = bytes([5], 'wharf', [8], 'internal', [0], [3], 'web', [0xc0, 0]);
    expect(readName(buf, 0)).toEqual({ name: 'wharf.internal', next: 16 });
    expect(readName(buf, 16)).toEqual({ name: 'web.wharf.internal', next: 22 });
  });

  it('refuses pointers that point forwards or at themselves, and chains of them', () => {
    expect(() => readName(bytes([0xc0, 0]), 0)).toThrow(DnsFormatError);
    expect(() => readName(bytes([0xc0, 2, 0]), 0)).toThrow(/backwards/);
    // Two pointers pointing at each other: the second must point before the first.
    expect(() => readName(bytes([0], [0xc0, 3], [0xc0, 1]), 3)).toThrow(DnsFormatError);
  });

  it('refuses labels past the end, reserved label types and names over 255 bytes', () => {
    expect(() => readName(bytes([5], 'ab'), 0)).toThrow(/past the end/);
    expect(() => readName(bytes([0x40, 0]), 0)).toThrow(/label type/);
    const long = Buffer.concat([...Array.from({ length: 5 }, () => bytes([63], 'a'.repeat(63))), bytes([0])]);
    expect(() => readName(long, 0)).toThrow(/255/);
  });

  it('escapes dots and unprintable bytes inside labels so that they cannot fake a name', () => {
    const buf = bytes([7], 'web.app', [2], [0, 0x5c], [0]);
    expect(readName(buf, 0).name).toBe('web\\046app.\\000\\092');
  });

  it('reads a query with an EDNS OPT record', () => {
    const q = parseQuery(encodeQuery(99, 'Web.MyApp.wharf.internal', TYPE.SRV, { udpSize: 4096 }));
    expect(q).toEqual({
      header: { id: 99, qr: false, opcode: 0, rd: true, qdcount: 1, ancount: 0, nscount: 0, arcount: 1 },
      question: { name: 'Web.MyApp.wharf.internal', type: TYPE.SRV, qclass: 1 },
      opt: { udpSize: 4096, version: 0 },
    });
  });

  it('compresses repeated owner names and never the SRV target', () => {
    const name = 'web.myapp.wharf.internal';
    const a = { name, type: TYPE.A, ttl: 2, rdata: Uint8Array.from([127, 0, 0, 1]) };
    const msg = encodeResponse({
      id: 1,
      opcode: 0,
      rd: false,
      aa: true,
      rcode: 0,
      question: { name, type: TYPE.A, qclass: 1 },
      answers: [a, a],
    });
    // header 12 + question (26 + 4) + two answers of pointer (2) + 10 + 4
    expect(msg.length).toBe(12 + 30 + 2 * 16);
    expect(readName(msg, 42).name).toBe(name);
    const srv = srvData(0, 0, 5001, 'i-1.web.myapp.wharf.internal');
    expect(readName(srv, 6).name).toBe('i-1.web.myapp.wharf.internal');
    expect(srv.length).toBe(6 + 30);
  });
});
