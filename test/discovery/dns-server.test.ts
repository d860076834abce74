import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { electLeader } from '../../core/discovery/leader.ts';
import { type DnsServer, startDnsServer } from '../../adapters/local/discovery/dns-server.ts';
import { encodeQuery, RCODE, TYPE } from '../../adapters/local/discovery/dns-wire.ts';
import { DiscoveryRegistry } from '../../adapters/local/discovery/registry.ts';
import { instances, responseFacts, TcpDnsClient, udpExchange } from './helpers.ts';

const Z = 'wharf.internal';
let registry: DiscoveryRegistry;
let server: DnsServer;
let resolver: Resolver;

beforeAll(async () => {
  registry = new DiscoveryRegistry();
  server = await startDnsServer({ registry, ttl: 2 });
  resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([server.address]);
});

afterAll(() => server.close());

beforeEach(async () => {
  await registry.remove('myapp');
  await registry.remove('big');
  const three = instances(3);
  await registry.publish('myapp', 'web', three, electLeader(three, null));
});

const errorCode = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: NodeJS.ErrnoException) => e.code,
  );

describe('DNS server over UDP, queried by node:dns', () => {
  it('reports the port it bound, the same for UDP and TCP', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
  });

  it('answers any instance with every healthy address, with a short TTL', async () => {
    const all = await resolver.resolve4(`web.myapp.${Z}`, { ttl: true });
    expect(all.map((r) => r.address).sort()).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(all.every((r) => r.ttl === 2)).toBe(true);
  });

  it('answers one instance and the leader (the oldest)', async () => {
    expect(await resolver.resolve4(`i-2.web.myapp.${Z}`)).toEqual(['127.0.0.2']);
    expect(await resolver.resolve4(`I-3.Web.MyApp.${Z.toUpperCase()}`)).toEqual(['127.0.0.3']);
    expect(await resolver.resolve4(`leader.web.myapp.${Z}`)).toEqual(['127.0.0.1']);
  });

  it('answers SRV with every port and instance target, and the leader and one instance by SRV too', async () => {
    const srv = await resolver.resolveSrv(`_web._tcp.myapp.${Z}`);
    expect(srv.map((r) => [r.name, r.port, r.priority, r.weight]).sort()).toEqual([
      [`i-1.web.myapp.${Z}`, 5001, 0, 0],
      [`i-2.web.myapp.${Z}`, 5002, 0, 0],
      [`i-3.web.myapp.${Z}`, 5003, 0, 0],
    ]);
    expect((await resolver.resolveSrv(`leader.web.myapp.${Z}`)).map((r) => r.port)).toEqual([5001]);
    // The SRV targets' addresses travel in the additional section, saving clients a round trip.
    const raw = await udpExchange(server.port, encodeQuery(7, `_web._tcp.myapp.${Z}`, TYPE.SRV));
    expect(responseFacts(raw!)).toMatchObject({
      id: 7,
      rcode: RCODE.NOERROR,
      aa: true,
      ancount: 3,
      arcount: 3,
    });
  });

  it('answers NXDOMAIN for unknown names in the zone and REFUSED outside it', async () => {
    expect(await errorCode(resolver.resolve4(`web.nosuchapp.${Z}`))).toBe('ENOTFOUND');
    expect(await errorCode(resolver.resolve4(`i-99.web.myapp.${Z}`))).toBe('ENOTFOUND');
    expect(await errorCode(resolver.resolve4(`a.b.c.d.${Z}`))).toBe('ENOTFOUND');
    expect(await errorCode(resolver.resolve4('example.com'))).toBe('EREFUSED');
    const nx = responseFacts((await udpExchange(server.port, encodeQuery(9, `x.y.${Z}`, TYPE.A)))!);
    expect(nx).toMatchObject({ rcode: RCODE.NXDOMAIN, aa: true, ancount: 0, nscount: 1 });
  });

  it('answers NOERROR with no records for a known name and an unsupported type', async () => {
    expect(await errorCode(resolver.resolve6(`web.myapp.${Z}`))).toBe('ENODATA');
    const facts = responseFacts(
      (await udpExchange(server.port, encodeQuery(3, `web.myapp.${Z}`, TYPE.AAAA)))!,
    );
    expect(facts).toMatchObject({ rcode: RCODE.NOERROR, ancount: 0, nscount: 1 });
  });

  it('shows changes as soon as they are published, leader included', async () => {
    const next = instances(4).map((i) => (i.id === 'i-1' ? { ...i, healthy: false } : i));
    await registry.publish('myapp', 'web', next, electLeader(next, 'i-1'));
    expect((await resolver.resolve4(`web.myapp.${Z}`)).sort()).toEqual([
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
    ]);
    expect(await resolver.resolve4(`leader.web.myapp.${Z}`)).toEqual(['127.0.0.2']);
    expect(await errorCode(resolver.resolve4(`i-1.web.myapp.${Z}`))).toBe('ENOTFOUND');
    await registry.remove('myapp');
    expect(await errorCode(resolver.resolve4(`web.myapp.${Z}`))).toBe('ENOTFOUND');
  });

  it('answers a known type with no leader with no records', async () => {
    await registry.publish('myapp', 'web', [], null);
    expect(await errorCode(resolver.resolve4(`leader.web.myapp.${Z}`))).toBe('ENODATA');
    expect(await errorCode(resolver.resolve4(`web.myapp.${Z}`))).toBe('ENODATA');
  });
});

describe('DNS server over TCP', () => {
  it('answers several length-prefixed queries on one connection, in order', async () => {
    const client = await TcpDnsClient.connect(server.port);
    try {
      const replies = await client.query(
        encodeQuery(1, `web.myapp.${Z}`, TYPE.A),
        encodeQuery(2, `_web._tcp.myapp.${Z}`, TYPE.SRV),
        encodeQuery(3, `nope.myapp.${Z}`, TYPE.A),
      );
      expect(replies.map((r) => responseFacts(r!))).toMatchObject([
        { id: 1, rcode: RCODE.NOERROR, ancount: 3 },
        { id: 2, rcode: RCODE.NOERROR, ancount: 3, arcount: 3 },
        { id: 3, rcode: RCODE.NXDOMAIN, ancount: 0 },
      ]);
      // A query split across many writes is reassembled.
      const q = encodeQuery(4, `leader.web.myapp.${Z}`, TYPE.A);
      const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
      const reply = client.replies(1);
      for (const byte of framed) {
        client.writeRaw(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      const [data] = await reply;
      expect(responseFacts(data!)).toMatchObject({ id: 4, ancount: 1 });
    } finally {
      client.close();
    }
  });
});

describe('truncation and EDNS', () => {
  beforeEach(async () => {
    const many = instances(100);
    await registry.publish('big', 'web', many, electLeader(many, null));
  });

  it('sets TC over UDP when the answer exceeds 512 bytes without EDNS, and TCP carries it all', async () => {
    const udp = responseFacts((await udpExchange(server.port, encodeQuery(5, `web.big.${Z}`, TYPE.A)))!);
    expect(udp).toMatchObject({ id: 5, tc: true, ancount: 0 });
    const client = await TcpDnsClient.connect(server.port);
    const [tcp] = await client.query(encodeQuery(6, `web.big.${Z}`, TYPE.A));
    client.close();
    expect(responseFacts(tcp!)).toMatchObject({ id: 6, tc: false, ancount: 100 });
  });

  it('lets an EDNS client receive a larger UDP answer (up to 1232 bytes)', async () => {
    const forty = instances(40);
    await registry.publish('big', 'web', forty, null);
    const plain = responseFacts((await udpExchange(server.port, encodeQuery(1, `web.big.${Z}`, TYPE.A)))!);
    expect(plain).toMatchObject({ tc: true, ancount: 0 });
    const edns = await udpExchange(server.port, encodeQuery(2, `web.big.${Z}`, TYPE.A, { udpSize: 4096 }));
    expect(edns!.length).toBeGreaterThan(512);
    expect(responseFacts(edns!)).toMatchObject({ tc: false, ancount: 40, arcount: 1 });
  });

  it('node:dns retries a truncated answer over TCP and gets all 100 addresses', async () => {
    const all = await resolver.resolve4(`web.big.${Z}`);
    expect(all).toHaveLength(100);
    expect(new Set(all).size).toBe(100);
  });
});

describe('malformed and unusual queries', () => {
  const header = (id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0) => {
    const b = Buffer.alloc(12);
    for (const [i, v] of [id, flags, qd, an, ns, ar].entries()) b.writeUInt16BE(v, i * 2);
    return b;
  };

  it('answers FORMERR to a query with no question or a broken one', async () => {
    const none = await udpExchange(server.port, header(11, 0x0100, 0));
    expect(responseFacts(none!)).toMatchObject({ id: 11, qr: true, rcode: RCODE.FORMERR });
    const cut = encodeQuery(12, `web.myapp.${Z}`, TYPE.A).subarray(0, 20);
    expect(responseFacts((await udpExchange(server.port, cut))!)).toMatchObject({
      id: 12,
      rcode: RCODE.FORMERR,
    });
    // A compression pointer to itself would loop a naive parser forever.
    const loop = Buffer.concat([header(13, 0, 1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(responseFacts((await udpExchange(server.port, loop))!)).toMatchObject({
      id: 13,
      rcode: RCODE.FORMERR,
    });
    const two = Buffer.concat([header(14, 0, 2), encodeQuery(0, 'a', 1).subarray(12)]);
    expect(responseFacts((await udpExchange(server.port, two))!)).toMatchObject({
      id: 14,
      rcode: RCODE.FORMERR,
    });
  });

  it('drops what cannot be answered: short packets and responses', async () => {
    expect(await udpExchange(server.port, Buffer.from([1, 2, 3]), 300)).toBeNull();
    const response = encodeQuery(15, `web.myapp.${Z}`, TYPE.A);
    response[2] = response[2]! | 0x80;
    expect(await udpExchange(server.port, response, 300)).toBeNull();
  });

  it('answers NOTIMP to other opcodes and BADVERS to EDNS versions above 0', async () => {
    const status = encodeQuery(16, `web.myapp.${Z}`, TYPE.A);
    status[2] = (status[2]! & 0x87) | (2 << 3);
    expect(responseFacts((await udpExchange(server.port, status))!)).toMatchObject({ rcode: RCODE.NOTIMP });
    const v1 = encodeQuery(17, `web.myapp.${Z}`, TYPE.A, { udpSize: 1232 });
    v1[v1.length - 5] = 1; // the OPT's version byte
    const reply = (await udpExchange(server.port, v1))!;
    expect(responseFacts(reply)).toMatchObject({ id: 17, rcode: 0, ancount: 0, arcount: 1 });
    expect(reply[reply.length - 6]).toBe(1); // extended rcode 1 << 4 | 0 = 16, BADVERS
  });

  it('serves a configured zone and refuses the default one', async () => {
    const other = await startDnsServer({ registry, zone: 'svc.test' });
    try {
      const r = new Resolver({ timeout: 1000, tries: 1 });
      r.setServers([other.address]);
      expect(await r.resolve4('leader.web.myapp.svc.test')).toEqual(['127.0.0.1']);
      expect(await errorCode(r.resolve4(`web.myapp.${Z}`))).toBe('EREFUSED');
    } finally {
      await other.close();
    }
  });
});
