import { RegistryAuthError } from './errors.ts';

/**
 * How to authenticate to a registry. `basic` credentials are sent to the registry or, when it
 * answers with a Bearer challenge, to its token server. `header` is sent as is on every request
 * (for a token the caller already holds).
 */
export type RegistryCredentials =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'header'; readonly value: string };

/**
 * ECR's GetAuthorizationToken returns base64("AWS:<password>"), to be used as basic auth.
 * The caller makes that call so that this module needs no AWS SDK.
 */
export function ecrCredentials(authorizationToken: string): RegistryCredentials {
  const decoded = Buffer.from(authorizationToken.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new RegistryAuthError(
      'the ECR authorization token does not decode to "user:password": pass authorizationData[0].authorizationToken from ecr:GetAuthorizationToken as is',
    );
  }
  return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface AuthChallenge {
  /** lowercased scheme: `bearer`, `basic`… */
  readonly scheme: string;
  /** parameters with lowercased names (`realm`, `service`, `scope`, `error`) */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /[A-Za-z0-9!#$%&'*+.^_`|~-]+/y;

/** Parses a WWW-Authenticate header (RFC 7235), which may hold several challenges; quoted values may hold commas. */
export function parseAuthenticateHeader(header: string): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const skip = (chars: string) => {
    while (i < header.length && chars.includes(header[i]!)) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  while (i < header.length) {
    skip(' \t,');
    const name = token();
    if (name === undefined) {
      i++;
      continue;
    }
    skip(' \t');
    const current = out.at(-1);
    if (header[i] === '=' && current) {
      i++;
      skip(' \t');
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        // RFC 7235 wants a token here; servers that send a bare URL are read up to the next separator.
        while (i < header.length && !' \t,'.includes(header[i]!)) value += header[i++];
      }
      current.params[name.toLowerCase()] = value;
    } else {
      out.push({ scheme: name.toLowerCase(), params: {} });
    }
  }
  return out;
}

interface CachedToken {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * Authorization for one registry. Learns the registry's scheme once from `GET /v2/` (as Docker
 * does) so that requests with a streamed body carry their credentials up front: a 401 after a
 * streamed upload could not be replayed. Bearer tokens are cached per set of scopes.
 */
export class RegistryAuth {
  readonly #baseUrl: string;
  readonly #credentials: RegistryCredentials;
  #scheme: 'unknown' | 'none' | 'basic' | 'bearer' = 'unknown';
  #bearer: { realm: string; service: string | undefined } | undefined;
  readonly #tokens = new Map<string, CachedToken>();

  constructor(baseUrl: string, credentials: RegistryCredentials) {
    this.#baseUrl = baseUrl;
    this.#credentials = credentials;
  }

  /** The Authorization header for a request that needs `scopes`, or none. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    if (this.#credentials.kind === 'header') return this.#credentials.value;
    if (this.#scheme === 'unknown') await this.#ping();
    if (this.#scheme === 'basic') return this.#basic();
    if (this.#scheme === 'bearer') return `Bearer ${await this.#token(scopes)}`;
    return undefined;
  }

  /**
   * Called on a 401: adopts the challenge (a token with the scope it names, merged with ours).
   * Returns false when a retry cannot succeed.
   */
  async onUnauthorized(res: Response, scopes: readonly string[]): Promise<boolean> {
    if (this.#credentials.kind === 'header') return false;
    const previous = this.#scheme;
    const adopted = this.#adopt(res);
    if (adopted === 'bearer') {
      const wanted = [...scopes, ...this.#challengeScopes(res)];
      const key = scopeKey(wanted);
      // A token we already held for these scopes was refused: drop it so the retry fetches a fresh one.
      if (this.#tokens.delete(key)) return true;
      await this.#token(wanted);
      return true;
    }
    return adopted === 'basic' && previous !== 'basic' && this.#credentials.kind === 'basic';
  }

  #adopt(res: Response): 'bearer' | 'basic' | undefined {
    const challenges = parseAuthenticateHeader(res.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params['realm']) {
      this.#scheme = 'bearer';
      this.#bearer = { realm: bearer.params['realm'], service: bearer.params['service'] };
      return 'bearer';
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.#scheme = 'basic';
      return 'basic';
    }
    return undefined;
  }

  #challengeScopes(res: Response): string[] {
    const challenges = parseAuthenticateHeader(res.headers.get('www-authenticate') ?? '');
    return challenges.find((c) => c.scheme === 'bearer')?.params['scope']?.split(' ') ?? [];
  }

  async #ping(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}/v2/`, { method: 'GET' });
    } catch (e) {
      throw new RegistryAuthError(`cannot reach registry ${this.#baseUrl}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    await res.body?.cancel();
    if (res.status !== 401) {
      this.#scheme = 'none';
      return;
    }
    if (this.#adopt(res) === undefined) {
      throw new RegistryAuthError(
        `registry ${this.#baseUrl} answered 401 with no usable challenge (${res.headers.get('www-authenticate') ?? 'no WWW-Authenticate header'})`,
      );
    }
  }

  #basic(): string {
    if (this.#credentials.kind !== 'basic') {
      throw new RegistryAuthError(
        `registry ${this.#baseUrl} requires basic credentials: give a username and password, or an auth header`,
      );
    }
    const { username, password } = this.#credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  async #token(scopes: readonly string[]): Promise<string> {
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    const { realm, service } = this.#bearer!;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const s of key.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.#credentials.kind === 'basic') headers['authorization'] = this.#basic();
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (e) {
      throw new RegistryAuthError(`cannot reach the token server ${url.origin}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      throw new RegistryAuthError(
        `token server ${url.origin}${url.pathname} refused a token for "${key}" (HTTP ${res.status}: ${text.slice(0, 200)}): check the registry credentials`,
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (e) {
      throw new RegistryAuthError(`token server ${url.origin} answered with something that is not JSON`, {
        cause: e,
      });
    }
    const value = body.token ?? body.access_token;
    if (!value) throw new RegistryAuthError(`token server ${url.origin} answered without a token`);
    // The distribution spec's default lifetime is 60 s; renew a little early.
    const lifetime = Math.max(10, body.expires_in ?? 60) - 5;
    this.#tokens.set(key, { value, expiresAt: Date.now() + lifetime * 1000 });
    return value;
  }
}

/** Scopes deduplicated and sorted, so the same set always maps to one cached token. */
function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes.filter(Boolean))].sort().join(' ');
}
