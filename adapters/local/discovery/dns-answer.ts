/**
 * Turns one DNS query packet into the answer bytes (or null to drop it), from the
 * registry's current state. Pure apart from reading the registry; never throws.
 */
import { instanceLabel, instanceName, parseDiscoveryName } from '../../../core/discovery/names.ts';
import type { DiscoveryInstance } from '../../../core/ports.ts';
import {
  aData,
  CLASS,
  DnsFormatError,
  EXT_RCODE_BADVERS,
  encodeResponse,
  MAX_UDP_PLAIN,
  parseQuery,
  type Query,
  RCODE,
  type ResourceRecord,
  readHeader,
  soaData,
  srvData,
  TYPE,
} from './dns-wire.ts';
import { type DiscoveryRegistry, healthyInstances } from './registry.ts';

export interface AnswerContext {
  readonly registry: DiscoveryRegistry;
  readonly zone: string;
  readonly ttl: number;
  readonly transport: 'udp' | 'tcp';
  /** rotates the A records so that clients taking the first address spread their load */
  readonly rotation: number;
}

/** The largest UDP answer we send to an EDNS client, whatever it advertises (DNS flag day 2020). */
export const MAX_UDP_EDNS = 1232;

interface Found {
  readonly rcode: number;
  readonly answers: ResourceRecord[];
  readonly additional: ResourceRecord[];
}

const NXDOMAIN: Found = { rcode: RCODE.NXDOMAIN, answers: [], additional: [] };
const NODATA: Found = { rcode: RCODE.NOERROR, answers: [], additional: [] };

function aRecord(name: string, instance: DiscoveryInstance, ttl: number): ResourceRecord | null {
  const rdata = aData(instance.host);
  return rdata ? { name, type: TYPE.A, ttl, rdata } : null;
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length < 2) return items;
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

interface Wanted {
  readonly a: boolean;
  readonly srv: boolean;
}

function records(
  qname: string,
  want: Wanted,
  app: string,
  type: string,
  instances: DiscoveryInstance[],
  ctx: AnswerContext,
): Found {
  const answers: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  const { a: wantA, srv: wantSrv } = want;
  for (const instance of rotate(instances, ctx.rotation)) {
    if (wantA) {
      const a = aRecord(qname, instance, ctx.ttl);
      if (a) answers.push(a);
    }
    if (wantSrv) {
      const target = instanceName(app, type, instance.id, ctx.zone);
      answers.push({
        name: qname,
        type: TYPE.SRV,
        ttl: ctx.ttl,
        rdata: srvData(0, 0, instance.port, target),
      });
      const a = aRecord(target, instance, ctx.ttl);
      if (a) additional.push(a);
    }
  }
  return { rcode: RCODE.NOERROR, answers, additional };
}

function lookup(qname: string, qtype: number, ctx: AnswerContext): Found | null {
  const parsed = parseDiscoveryName(qname, ctx.zone);
  if (parsed === null) return null;
  const { registry } = ctx;
  const any = qtype === TYPE.ANY;
  // Service names answer A, SRV names answer SRV; one instance and the leader answer both.
  const both: Wanted = { a: qtype === TYPE.A || any, srv: qtype === TYPE.SRV || any };
  switch (parsed.kind) {
    case 'apex':
      return qtype === TYPE.SOA || qtype === TYPE.ANY
        ? { rcode: RCODE.NOERROR, answers: [soa(ctx)], additional: [] }
        : NODATA;
    case 'unknown':
      return NXDOMAIN;
    case 'app':
      // An app's name has no records of its own but names below it: an empty non-terminal.
      return registry.hasApp(parsed.app) ? NODATA : NXDOMAIN;
    case 'service':
    case 'srv': {
      const state = registry.get(parsed.app, parsed.type);
      if (!state) return NXDOMAIN;
      const want = parsed.kind === 'srv' ? { a: false, srv: both.srv } : { a: both.a, srv: false };
      return records(qname, want, parsed.app, parsed.type, healthyInstances(state), ctx);
    }
    case 'instance': {
      const state = registry.get(parsed.app, parsed.type);
      const one = healthyInstances(state).filter((i) => instanceLabel(i.id) === parsed.id);
      if (one.length === 0) return NXDOMAIN;
      return records(qname, both, parsed.app, parsed.type, one, ctx);
    }
    case 'leader': {
      const state = registry.get(parsed.app, parsed.type);
      if (!state) return NXDOMAIN;
      const leader = healthyInstances(state).filter((i) => i.id === state.leaderId);
      return records(qname, both, parsed.app, parsed.type, leader, ctx);
    }
  }
}

function soa(ctx: AnswerContext): ResourceRecord {
  return {
    name: ctx.zone,
    type: TYPE.SOA,
    ttl: ctx.ttl,
    rdata: soaData(`ns.${ctx.zone}`, `hostmaster.${ctx.zone}`, 1, ctx.ttl),
  };
}

function respond(query: Query, ctx: AnswerContext): Buffer {
  const { header, question, opt } = query;
  const base = { id: header.id, opcode: header.opcode, rd: header.rd, question };
  const ourOpt = opt ? { udpSize: MAX_UDP_EDNS, extRcode: 0 } : null;
  if (opt && opt.version > 0) {
    return encodeResponse({
      ...base,
      aa: false,
      rcode: 0,
      opt: { udpSize: MAX_UDP_EDNS, extRcode: EXT_RCODE_BADVERS },
    });
  }
  if (header.opcode !== 0) return encodeResponse({ ...base, aa: false, rcode: RCODE.NOTIMP, opt: ourOpt });
  if (question.qclass !== CLASS.IN && question.qclass !== CLASS.ANY) {
    return encodeResponse({ ...base, aa: false, rcode: RCODE.REFUSED, opt: ourOpt });
  }
  const found = lookup(question.name, question.type, ctx);
  if (!found) return encodeResponse({ ...base, aa: false, rcode: RCODE.REFUSED, opt: ourOpt });
  // Negative answers carry the SOA so that resolvers cache them for the short TTL only (RFC 2308).
  const authority = found.answers.length === 0 ? [soa(ctx)] : [];
  const full = encodeResponse({
    ...base,
    aa: true,
    rcode: found.rcode,
    answers: found.answers,
    authority,
    additional: found.additional,
    opt: ourOpt,
  });
  if (ctx.transport === 'tcp') return full;
  const limit = opt ? Math.max(MAX_UDP_PLAIN, Math.min(opt.udpSize, MAX_UDP_EDNS)) : MAX_UDP_PLAIN;
  if (full.length <= limit) return full;
  // Too big for UDP: an empty truncated answer sends the client to TCP (RFC 7766).
  return encodeResponse({ ...base, aa: true, tc: true, rcode: found.rcode, opt: ourOpt });
}

/** The answer to `packet`, or null when it must be dropped (no header, or it is itself a response). */
export function answerPacket(packet: Uint8Array, ctx: AnswerContext): Buffer | null {
  try {
    const header = readHeader(packet);
    if (!header || header.qr) return null;
    let query: Query;
    try {
      query = parseQuery(packet);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      const rcode = header.opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR;
      return encodeResponse({
        id: header.id,
        opcode: header.opcode,
        rd: header.rd,
        aa: false,
        rcode,
        question: null,
      });
    }
    return respond(query, ctx);
  } catch {
    // A bug here must cost one answer, not the server: SERVFAIL if we can still address it.
    const header = readHeader(packet);
    if (!header) return null;
    return encodeResponse({
      id: header.id,
      opcode: header.opcode & 0xf,
      rd: header.rd,
      aa: false,
      rcode: RCODE.SERVFAIL,
      question: null,
    });
  }
}
