/**
 * Fuzzing the DNS server: random bytes and mutated valid queries, first straight into
 * the answer function (many runs, fast), then over real UDP and TCP sockets while valid
 * queries keep being checked. A crash of the server would crash this test process.
 */
import { Resolver } from 'node:dns/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerPacket } from '../../adapters/local/discovery/dns-answer.ts';
import { type DnsServer, startDnsServer } from '../../adapters/local/discovery/dns-server.ts';
import { encodeQuery, RCODE, TYPE } from '../../adapters/local/discovery/dns-wire.ts';
import { DiscoveryRegistry } from '../../adapters/local/discovery/registry.ts';
import { instances, responseFacts, TcpDnsClient, udpBlast, udpExchange } from './helpers.ts';

const NAMES = [
  'web.myapp.wharf.internal',
  '_web._tcp.myapp.wharf.internal',
  'leader.web.myapp.wharf.internal',
  'i-2.web.myapp.wharf.internal',
  'nope.wharf.internal',
  'wharf.internal',
  'example.com',
];
const TYPES = [TYPE.A, TYPE.SRV, TYPE.AAAA, TYPE.ANY, TYPE.SOA, 16, 0, 65535];

const validQuery = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffff }),
    fc.constantFrom(...NAMES),
    fc.constantFrom(...TYPES),
    fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
  )
  .map(([id, name, type, udpSize]) =>
    encodeQuery(id, name, type, udpSize === undefined ? undefined : { udpSize }),
  );

/** A valid query with bytes overwritten, cut short or extended. */
const mutatedQuery = fc
  .tuple(
    validQuery,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    fc.option(fc.nat(), { nil: undefined }),
    fc.uint8Array({ maxLength: 8 }),
  )
  .map(([q, edits, cut, tail]) => {
    const b = Buffer.from(q);
    for (const [pos, byte] of edits) b[pos % b.length] = byte;
    const body = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
    return Buffer.concat([body, tail]);
  });

const anyPacket = fc.oneof(fc.uint8Array({ maxLength: 700 }), mutatedQuery, validQuery);

let registry: DiscoveryRegistry;
let server: DnsServer;

beforeAll(async () => {
  registry = new DiscoveryRegistry();
  const three = instances(3);
  registry.publishSync('myapp', 'web', three, 'i-1');
  server = await startDnsServer({ registry });
});

afterAll(() => server.close());

/** The checks that must keep passing while garbage flies. */
async function stillAnswers(resolver: Resolver): Promise<void> {
  expect((await resolver.resolve4('web.myapp.wharf.internal')).sort()).toEqual([
    '127.0.0.1',
    '127.0.0.2',
    '127.0.0.3',
  ]);
  expect(await resolver.resolve4('leader.web.myapp.wharf.internal')).toEqual(['127.0.0.1']);
  const raw = await udpExchange(server.port, encodeQuery(4242, '_web._tcp.myapp.wharf.internal', TYPE.SRV));
  expect(responseFacts(raw!)).toMatchObject({ id: 4242, rcode: RCODE.NOERROR, ancount: 3 });
}

describe('DNS fuzz', () => {
  it('the answer function never throws and never falls back to SERVFAIL, whatever the bytes', () => {
    const ctx = { registry, zone: 'wharf.internal', ttl: 2, rotation: 0 };
    fc.assert(
      fc.property(anyPacket, fc.constantFrom('udp' as const, 'tcp' as const), (packet, transport) => {
        const reply = answerPacket(packet, { ...ctx, transport });
        if (reply === null) {
          expect(packet.length < 12 || (packet[2]! & 0x80) !== 0).toBe(true);
          return;
        }
        const facts = responseFacts(reply);
        expect(facts.id).toBe((packet[0]! << 8) | packet[1]!);
        expect(facts.qr).toBe(true);
        expect(facts.rcode).not.toBe(RCODE.SERVFAIL);
        if (transport === 'udp') expect(reply.length).toBeLessThanOrEqual(1232);
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps answering valid UDP queries while random and mutated packets arrive', async () => {
    const resolver = new Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers([server.address]);
    const started = performance.now();
    let sent = 0;
    for (let batch = 0; batch < 10; batch++) {
      const packets = fc.sample(anyPacket, { numRuns: 400, seed: 1000 + batch });
      await udpBlast(server.port, packets);
      sent += packets.length;
      await stillAnswers(resolver);
    }
    const ms = performance.now() - started;
    console.log(
      `dns fuzz udp: ${sent} packets in ${ms.toFixed(0)} ms (${((sent / ms) * 1000).toFixed(0)}/s)`,
    );
  });

  it('keeps answering over TCP while connections send garbage, framed or not', async () => {
    const resolver = new Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers([server.address]);
    const steady = await TcpDnsClient.connect(server.port);
    const started = performance.now();
    let connections = 0;
    try {
      for (let batch = 0; batch < 8; batch++) {
        const garbage = fc.sample(
          fc.tuple(fc.boolean(), fc.array(anyPacket, { minLength: 1, maxLength: 4 })),
          { numRuns: 25, seed: 2000 + batch },
        );
        const clients = await Promise.all(garbage.map(() => TcpDnsClient.connect(server.port)));
        connections += clients.length;
        garbage.forEach(([framed, packets], k) => {
          const c = clients[k]!;
          for (const p of packets) {
            if (framed) {
              const prefix = Buffer.from([p.length >> 8, p.length & 0xff]);
              c.writeRaw(Buffer.concat([prefix, p]));
            } else c.writeRaw(p);
          }
        });
        const [reply] = await steady.query(encodeQuery(batch, 'web.myapp.wharf.internal', TYPE.A));
        expect(responseFacts(reply!)).toMatchObject({ id: batch, rcode: RCODE.NOERROR, ancount: 3 });
        for (const c of clients) c.close();
        await stillAnswers(resolver);
      }
      // A malformed frame costs one FORMERR, and the connection goes on answering.
      const cut = encodeQuery(77, 'web.myapp.wharf.internal', TYPE.A).subarray(0, 15);
      const [bad, good] = await steady.query(cut, encodeQuery(78, 'web.myapp.wharf.internal', TYPE.A));
      expect(responseFacts(bad!)).toMatchObject({ id: 77, rcode: RCODE.FORMERR });
      expect(responseFacts(good!)).toMatchObject({ id: 78, rcode: RCODE.NOERROR, ancount: 3 });
    } finally {
      steady.close();
    }
    const ms = performance.now() - started;
    console.log(`dns fuzz tcp: ${connections} garbage connections in ${ms.toFixed(0)} ms`);
  });
});
