/**
 * The DNS wire format (RFC 1035, SRV from RFC 2782, EDNS0 OPT from RFC 6891), only as
 * much as an authoritative server for the discovery zone needs. Every read is bounds
 * checked and throws DnsFormatError, which the server turns into FORMERR.
 */

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS = { IN: 1, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Extended rcode 16 (BADVERS) is 1 in the OPT's upper bits and 0 in the header. */
export const EXT_RCODE_BADVERS = 1;

export const HEADER_BYTES = 12;
export const MAX_UDP_PLAIN = 512;
const MAX_NAME_BYTES = 255;
const MAX_POINTER_JUMPS = 64;

export class DnsFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DnsFormatError';
  }
}

export interface Header {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly rd: boolean;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

export interface Question {
  /** presentation form without the trailing dot; odd bytes escaped as \DDD */
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
}

export interface EdnsOpt {
  readonly udpSize: number;
  readonly version: number;
}

export interface Query {
  readonly header: Header;
  readonly question: Question;
  readonly opt: EdnsOpt | null;
}

/** null when the packet is too short to hold a header (nothing to answer to). */
export function readHeader(buf: Uint8Array): Header | null {
  if (buf.length < HEADER_BYTES) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = v.getUint16(2);
  return {
    id: v.getUint16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x0100) !== 0,
    qdcount: v.getUint16(4),
    ancount: v.getUint16(6),
    nscount: v.getUint16(8),
    arcount: v.getUint16(10),
  };
}

function escapeLabel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const printable = b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c;
    out += printable ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}

/** Reads a possibly compressed name; pointers may only point backwards, which rules out loops. */
export function readName(buf: Uint8Array, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let jumps = 0;
  let total = 1;
  let labelStart = offset;
  for (;;) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past the end of the message');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('compression pointer cut short');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= labelStart) throw new DnsFormatError('compression pointer does not point backwards');
      if (++jumps > MAX_POINTER_JUMPS) throw new DnsFormatError('too many compression pointers');
      if (next < 0) next = pos + 2;
      pos = target;
      labelStart = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('unsupported label type');
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    total += len + 1;
    if (total > MAX_NAME_BYTES) throw new DnsFormatError('name longer than 255 bytes');
    if (pos + 1 + len > buf.length) throw new DnsFormatError('label runs past the end of the message');
    labels.push(escapeLabel(buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function u16(buf: Uint8Array, pos: number): number {
  if (pos + 2 > buf.length) throw new DnsFormatError('message cut short');
  return (buf[pos]! << 8) | buf[pos + 1]!;
}

/** Parses a query: exactly one question, then any records, of which one OPT is kept. */
export function parseQuery(buf: Uint8Array): Query {
  const header = readHeader(buf);
  if (!header) throw new DnsFormatError('message shorter than a header');
  if (header.qdcount !== 1) throw new DnsFormatError(`expected 1 question, got ${header.qdcount}`);
  const q = readName(buf, HEADER_BYTES);
  const question: Question = { name: q.name, type: u16(buf, q.next), qclass: u16(buf, q.next + 2) };
  let pos = q.next + 4;
  let opt: EdnsOpt | null = null;
  const records = header.ancount + header.nscount + header.arcount;
  for (let i = 0; i < records; i++) {
    const rr = readName(buf, pos);
    const type = u16(buf, rr.next);
    const rrClass = u16(buf, rr.next + 2);
    const ttlHigh = u16(buf, rr.next + 4);
    const rdlength = u16(buf, rr.next + 8);
    const end = rr.next + 10 + rdlength;
    if (end > buf.length) throw new DnsFormatError('record data runs past the end of the message');
    if (type === TYPE.OPT) {
      const inAdditional = i >= header.ancount + header.nscount;
      if (opt || rr.name !== '' || !inAdditional)
        throw new DnsFormatError('misplaced or repeated OPT record');
      opt = { udpSize: rrClass, version: ttlHigh & 0xff };
    }
    pos = end;
  }
  return { header, question, opt };
}

/** Presentation name → wire labels (the reverse of escapeLabel). */
function nameLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return [];
  return name
    .replace(/\.$/, '')
    .split('.')
    .map((label) => {
      const bytes: number[] = [];
      for (let i = 0; i < label.length; i++) {
        const c = label.charCodeAt(i);
        if (c === 0x5c && /^\d{3}$/.test(label.slice(i + 1, i + 4))) {
          bytes.push(Number(label.slice(i + 1, i + 4)) & 0xff);
          i += 3;
        } else bytes.push(c & 0xff);
      }
      return Uint8Array.from(bytes.slice(0, 63));
    });
}

export interface ResourceRecord {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

/** The most a DNS message can hold (TCP's 2-byte length). */
const MAX_MESSAGE_BYTES = 65_535;

/** Builds messages into a buffer that grows as needed, compressing owner names. */
class Writer {
  buf = Buffer.allocUnsafe(512);
  pos = 0;
  readonly #names = new Map<string, number>();

  #room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos + n > MAX_MESSAGE_BYTES) throw new RangeError('DNS message larger than 65535 bytes');
    const grown = Buffer.allocUnsafe(
      Math.min(MAX_MESSAGE_BYTES, Math.max(this.buf.length * 2, this.pos + n)),
    );
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
  u8(v: number): void {
    this.#room(1);
    this.buf[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.#room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.#room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  name(name: string, compress: boolean): void {
    const labels = nameLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels
        .slice(i)
        .map((l) => Buffer.from(l).toString('latin1').toLowerCase())
        .join('.');
      const at = compress ? this.#names.get(suffix) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (compress && this.pos < 0x4000) this.#names.set(suffix, this.pos);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }
  record(rr: ResourceRecord): void {
    this.name(rr.name, true);
    this.u16(rr.type);
    this.u16(CLASS.IN);
    this.u32(rr.ttl);
    this.u16(rr.rdata.length);
    this.bytes(rr.rdata);
  }
}

export interface Response {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly aa: boolean;
  readonly tc?: boolean;
  readonly rcode: number;
  readonly question: Question | null;
  readonly answers?: readonly ResourceRecord[];
  readonly authority?: readonly ResourceRecord[];
  readonly additional?: readonly ResourceRecord[];
  /** our OPT, sent when the query had one */
  readonly opt?: { readonly udpSize: number; readonly extRcode: number } | null;
}

export function encodeResponse(r: Response): Buffer {
  const w = new Writer();
  const answers = r.answers ?? [];
  const authority = r.authority ?? [];
  const additional = r.additional ?? [];
  w.u16(r.id);
  const flags =
    0x8000 |
    ((r.opcode & 0xf) << 11) |
    (r.aa ? 0x0400 : 0) |
    (r.tc ? 0x0200 : 0) |
    (r.rd ? 0x0100 : 0) |
    (r.rcode & 0xf);
  w.u16(flags);
  w.u16(r.question ? 1 : 0);
  w.u16(answers.length);
  w.u16(authority.length);
  w.u16(additional.length + (r.opt ? 1 : 0));
  if (r.question) {
    w.name(r.question.name, true);
    w.u16(r.question.type);
    w.u16(r.question.qclass);
  }
  for (const rr of [...answers, ...authority, ...additional]) w.record(rr);
  if (r.opt) {
    w.u8(0);
    w.u16(TYPE.OPT);
    w.u16(r.opt.udpSize);
    w.u32((r.opt.extRcode & 0xff) << 24);
    w.u16(0);
  }
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** A query message (for tests and health checks of the server itself). */
export function encodeQuery(id: number, name: string, type: number, opt?: { udpSize: number }): Buffer {
  const w = new Writer();
  w.u16(id);
  w.u16(0x0100);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(opt ? 1 : 0);
  w.name(name, false);
  w.u16(type);
  w.u16(CLASS.IN);
  if (opt) {
    w.u8(0);
    w.u16(TYPE.OPT);
    w.u16(opt.udpSize);
    w.u32(0);
    w.u16(0);
  }
  return Buffer.from(w.buf.subarray(0, w.pos));
}

export function aData(ipv4: string): Uint8Array | null {
  const parts = ipv4.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

function nameWire(name: string): Uint8Array {
  const w = new Writer();
  w.name(name, false);
  return Uint8Array.from(w.buf.subarray(0, w.pos));
}

/** RFC 2782 forbids compressing the SRV target, so it is written in full. */
export function srvData(priority: number, weight: number, port: number, target: string): Uint8Array {
  const t = nameWire(target);
  const out = new Uint8Array(6 + t.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, priority);
  v.setUint16(2, weight);
  v.setUint16(4, port);
  out.set(t, 6);
  return out;
}

export function soaData(mname: string, rname: string, serial: number, minimumTtl: number): Uint8Array {
  const m = nameWire(mname);
  const r = nameWire(rname);
  const out = new Uint8Array(m.length + r.length + 20);
  out.set(m, 0);
  out.set(r, m.length);
  const v = new DataView(out.buffer, m.length + r.length);
  v.setUint32(0, serial >>> 0);
  v.setUint32(4, 60); // refresh
  v.setUint32(8, 30); // retry
  v.setUint32(12, 3600); // expire
  v.setUint32(16, minimumTtl);
  return out;
}
