/**
 * Server-side SigV4 check for the test stand-ins of AWS (the DynamoDB and Secrets Manager
 * fakes, the API Gateway of test/cli-aws): parses the Authorization header, rebuilds
 * the request from what arrived (method, path, query, the signed headers only, the body) and
 * re-signs it with @smithy/signature-v4 as the reference, with the client's own X-Amz-Date.
 * Refusals carry the error type and wording DynamoDB uses, so a hand-written signer is judged
 * the way AWS would judge it rather than by a fake that accepts anything.
 */
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { getCanonicalHeaders, SignatureV4 } from '@smithy/signature-v4';

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface ReceivedRequest {
  readonly method: string;
  /** path and query as received */
  readonly url: string;
  /** lower-cased names */
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export type SigV4Refusal =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException';

export class SigV4RefusedError extends Error {
  readonly type: SigV4Refusal;
  constructor(type: SigV4Refusal, message: string) {
    super(message);
    this.name = 'SigV4RefusedError';
    this.type = type;
  }
}

/** The reference signer, with the canonical request it signs made readable for error messages. */
class ReferenceSigner extends SignatureV4 {
  canonicalRequest(...args: Parameters<SignatureV4['createCanonicalRequest']>): string {
    return this.createCanonicalRequest(...args);
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses signatures whose X-Amz-Date is further than this from its clock */
const MAX_SKEW_MS = 15 * 60 * 1000;

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined) {
    throw new SigV4RefusedError(
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token',
    );
  }
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new SigV4RefusedError(
      'IncompleteSignatureException',
      `Unsupported Authorization Type '${algorithm}': only ${ALGORITHM} is accepted.`,
    );
  }
  const parts = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((p) => !parts.get(p));
  if (missing.length > 0) {
    throw new SigV4RefusedError(
      'IncompleteSignatureException',
      missing.map((p) => `Authorization header requires '${p}' parameter.`).join(' ') +
        ` Authorization=${header}`,
    );
  }
  const scope = parts.get('Credential')!.split('/');
  if (scope.length !== 5) {
    throw new SigV4RefusedError(
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parts.get('Credential')}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: parts.get('SignedHeaders')!.split(';'),
    signature: parts.get('Signature')!,
  };
}

function invalid(message: string): SigV4RefusedError {
  return new SigV4RefusedError('InvalidSignatureException', message);
}

/** `20240102T030405Z` as a Date, or undefined when it is not in that form */
function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

function checkScope(auth: ParsedAuthorization, amzDate: string, region: string, service: string): void {
  if (auth.date !== amzDate.slice(0, 8)) {
    throw invalid(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (auth.region !== region) {
    throw invalid(
      `Credential should be scoped to a valid region, not '${auth.region}'; this endpoint is '${region}'.`,
    );
  }
  if (auth.service !== service) {
    throw invalid(`Credential should be scoped to correct service: '${service}', not '${auth.service}'.`);
  }
  if (auth.terminator !== 'aws4_request') {
    throw invalid(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'.`,
    );
  }
}

function checkSignedHeaders(auth: ParsedAuthorization, headers: Record<string, string>): void {
  for (const required of ['host', 'x-amz-date']) {
    if (!auth.signedHeaders.includes(required)) {
      throw invalid(`'${required}' must be a signed header; SignedHeaders=${auth.signedHeaders.join(';')}`);
    }
  }
  if (headers['x-amz-security-token'] !== undefined && !auth.signedHeaders.includes('x-amz-security-token')) {
    throw invalid(
      `'x-amz-security-token' is present but not signed; SignedHeaders=${auth.signedHeaders.join(';')}`,
    );
  }
  for (const name of auth.signedHeaders) {
    if (headers[name] === undefined) throw invalid(`Signed header '${name}' is not in the request.`);
  }
}

function checkClock(signedAt: Date, amzDate: string, now: Date, maxSkewMs: number): void {
  const stamp = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const minutes = `${maxSkewMs / 60_000} min.`;
  if (signedAt.getTime() < now.getTime() - maxSkewMs) {
    throw invalid(
      `Signature expired: ${amzDate} is now earlier than ${stamp(new Date(now.getTime() - maxSkewMs))} (${stamp(now)} - ${minutes})`,
    );
  }
  if (signedAt.getTime() > now.getTime() + maxSkewMs) {
    throw invalid(
      `Signature not yet current: ${amzDate} is still later than ${stamp(new Date(now.getTime() + maxSkewMs))} (${stamp(now)} + ${minutes})`,
    );
  }
}

/** Throws SigV4RefusedError unless `req` carries a valid SigV4 signature by `credentials`. */
export async function verifySigV4(
  req: ReceivedRequest,
  expected: {
    credentials: SigV4Credentials;
    region: string;
    service: string;
    now?: Date;
    /** how far the signing time may be from now: DynamoDB allows 15 minutes, API Gateway 5 */
    maxSkewMs?: number;
  },
): Promise<void> {
  const auth = parseAuthorization(req.headers['authorization']);
  const amzDate = req.headers['x-amz-date'];
  const signingDate = parseAmzDate(amzDate);
  if (amzDate === undefined || signingDate === undefined) {
    throw new SigV4RefusedError(
      'IncompleteSignatureException',
      `Authorization header requires existence of an 'X-Amz-Date' header in the form YYYYMMDDTHHMMSSZ, got '${amzDate}'.`,
    );
  }
  checkScope(auth, amzDate, expected.region, expected.service);
  if (auth.accessKeyId !== expected.credentials.accessKeyId) {
    throw new SigV4RefusedError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  checkSignedHeaders(auth, req.headers);
  checkClock(signingDate, amzDate, expected.now ?? new Date(), expected.maxSkewMs ?? MAX_SKEW_MS);
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const claimedHash = req.headers['x-amz-content-sha256'];
  // the signer trusts this header as the payload hash, so it must be checked against the body
  if (claimedHash !== undefined && claimedHash !== bodyHash) {
    throw invalid(`x-amz-content-sha256 ${claimedHash} does not match the SHA-256 of the body, ${bodyHash}.`);
  }

  const [rawPath = '/', rawQuery = ''] = req.url.split('?', 2);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    const had = query[k];
    query[k] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
  }
  const headers = Object.fromEntries(auth.signedHeaders.map((name) => [name, req.headers[name]!]));
  const request = {
    method: req.method,
    protocol: 'http:',
    hostname: headers['host']!,
    path: decodeURIComponent(rawPath),
    query,
    headers,
    body: req.body,
  };
  const signer = new ReferenceSigner({
    credentials: expected.credentials,
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signableHeaders = new Set(auth.signedHeaders);
  const resigned = await signer.sign(request, { signingDate, signableHeaders, unsignableHeaders: new Set() });
  const expectedAuth = resigned.headers['authorization'] ?? '';
  const expectedSignature = /Signature=([0-9a-f]+)/.exec(expectedAuth)?.[1];
  const expectedSigned = /SignedHeaders=([^,]+)/.exec(expectedAuth)?.[1];
  if (expectedSigned !== auth.signedHeaders.join(';')) {
    throw invalid(
      `SignedHeaders must be lower-case, sorted and ';'-separated: expected ${expectedSigned}, got ${auth.signedHeaders.join(';')}.`,
    );
  }
  if (expectedSignature !== auth.signature) {
    const canonical = signer.canonicalRequest(
      request,
      getCanonicalHeaders(request, new Set(), signableHeaders),
      claimedHash ?? bodyHash,
    );
    throw invalid(
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
        `\n\nThe Canonical String for this request should have been\n'${canonical}'\n`,
    );
  }
}
