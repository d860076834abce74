import { createHash } from 'node:crypto';
import { RegistryAuth, type RegistryCredentials } from './auth.ts';
import { DigestMismatchError, RegistryAuthError, RegistryError } from './errors.ts';
import { streamRequest } from './stream-request.ts';

export const pullScope = (repo: string): string => `repository:${repo}:pull`;
export const pushScope = (repo: string): string => `repository:${repo}:pull,push`;

/**
 * A body streamed from its source, opened anew for each attempt so that a request refused with
 * 401 (an expired token) can be sent again; the size goes out as Content-Length.
 */
export interface BlobBody {
  readonly size: number;
  open(): AsyncIterable<Uint8Array>;
}

interface RequestOptions {
  readonly scopes: readonly string[];
  readonly headers?: Record<string, string>;
  /** bytes, or a function opening a stream of them (called once per attempt) */
  readonly body?: Uint8Array | (() => AsyncIterable<Uint8Array>);
  readonly redirect?: 'follow' | 'manual';
}

/** A client for the OCI distribution API of one registry (the subset image assembly needs). */
export class RegistryClient {
  readonly baseUrl: string;
  readonly #auth: RegistryAuth;

  constructor(baseUrl: string, credentials: RegistryCredentials) {
    this.baseUrl = baseUrl;
    this.#auth = new RegistryAuth(baseUrl, credentials);
  }

  /** Fetches a manifest; null when the registry does not have it (404). */
  async getManifest(
    repo: string,
    ref: string,
    accept: readonly string[],
  ): Promise<{ mediaType: string; bytes: Buffer; digest: string } | null> {
    const res = await this.#send('GET', `/v2/${repo}/manifests/${ref}`, {
      scopes: [pullScope(repo)],
      headers: { accept: accept.join(', ') },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    await expectStatus(res, [200], `GET manifest ${repo}:${ref}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256(bytes);
    if (ref.startsWith('sha256:') && ref !== digest)
      throw new DigestMismatchError(`manifest ${repo}@${ref}`, ref, digest);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { mediaType, bytes, digest };
  }

  async blobExists(repo: string, digest: string, scopes = [pullScope(repo)]): Promise<boolean> {
    const res = await this.#send('HEAD', `/v2/${repo}/blobs/${digest}`, { scopes });
    await res.body?.cancel();
    if (res.status === 404) return false;
    // Some registries answer a blob HEAD with a redirect to their storage: the blob is there.
    await expectStatus(res, [200, 301, 302, 303, 307, 308], `HEAD blob ${repo}@${digest}`);
    return true;
  }

  /** The blob as a response whose body the caller streams (registries often redirect blob reads to storage). */
  async getBlob(repo: string, digest: string): Promise<Response> {
    const res = await this.#send('GET', `/v2/${repo}/blobs/${digest}`, {
      scopes: [pullScope(repo)],
      redirect: 'follow',
    });
    await expectStatus(res, [200], `GET blob ${repo}@${digest}`);
    return res;
  }

  /** A small blob (a config) read whole and checked against its digest. */
  async getBlobBytes(repo: string, digest: string): Promise<Buffer> {
    const bytes = Buffer.from(await (await this.getBlob(repo, digest)).arrayBuffer());
    const actual = sha256(bytes);
    if (actual !== digest) throw new DigestMismatchError(`blob ${repo}@${digest}`, digest, actual);
    return bytes;
  }

  /**
   * Asks the registry to link a blob from another repository. Returns null when mounted, otherwise
   * the upload session the registry opened instead (registries answer 202 when they cannot mount).
   */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<string | null> {
    const q = new URLSearchParams({ mount: digest, from: fromRepo });
    const res = await this.#send('POST', `/v2/${repo}/blobs/uploads/?${q}`, {
      scopes: [pushScope(repo), pullScope(fromRepo)],
      headers: { 'content-length': '0' },
    });
    await expectStatus(res, [201, 202], `mount blob ${digest} from ${fromRepo} into ${repo}`);
    return res.status === 201 ? null : this.#location(res);
  }

  async startUpload(repo: string): Promise<string> {
    const res = await this.#send('POST', `/v2/${repo}/blobs/uploads/`, {
      scopes: [pushScope(repo)],
      headers: { 'content-length': '0' },
    });
    await expectStatus(res, [202], `start blob upload to ${repo}`);
    return this.#location(res);
  }

  /** One PUT with the whole blob. */
  async uploadMonolithic(repo: string, location: string, digest: string, body: BlobBody): Promise<void> {
    const url = withDigest(location, digest);
    const res = await this.#send('PUT', url, {
      scopes: [pushScope(repo)],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.size) },
      body: () => body.open(),
    });
    await expectStatus(res, [201], `upload blob ${digest} to ${repo}`);
    await res.body?.cancel();
  }

  /** PATCH chunks of at most `chunkSize` bytes, then PUT with the digest to close the upload. */
  async uploadChunked(
    repo: string,
    location: string,
    digest: string,
    size: number,
    chunkSize: number,
    openRange: (start: number, endInclusive: number) => AsyncIterable<Uint8Array>,
  ): Promise<void> {
    let next = location;
    for (let start = 0; start < size; start += chunkSize) {
      const end = Math.min(size, start + chunkSize) - 1;
      const res = await this.#send('PATCH', next, {
        scopes: [pushScope(repo)],
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(end - start + 1),
          'content-range': `${start}-${end}`,
        },
        body: () => openRange(start, end),
      });
      await expectStatus(res, [202], `upload bytes ${start}-${end} of blob ${digest} to ${repo}`);
      await res.body?.cancel();
      next = this.#location(res);
    }
    const res = await this.#send('PUT', withDigest(next, digest), {
      scopes: [pushScope(repo)],
      headers: { 'content-length': '0' },
    });
    await expectStatus(res, [201], `finish upload of blob ${digest} to ${repo}`);
    await res.body?.cancel();
  }

  /** PUTs a manifest and returns its digest, checked against the one the registry reports. */
  async putManifest(repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    const res = await this.#send('PUT', `/v2/${repo}/manifests/${ref}`, {
      scopes: [pushScope(repo)],
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
    });
    await expectStatus(res, [201], `PUT manifest ${repo}:${ref}`);
    await res.body?.cancel();
    const reported = res.headers.get('docker-content-digest');
    if (reported && reported !== digest)
      throw new DigestMismatchError(`manifest ${repo}:${ref}`, digest, reported);
    return digest;
  }

  #location(res: Response): string {
    const loc = res.headers.get('location');
    if (!loc)
      throw new RegistryError(
        `registry ${this.baseUrl} opened an upload without a Location header`,
        res.status,
        undefined,
      );
    return new URL(loc, this.baseUrl).toString();
  }

  async #send(method: string, pathOrUrl: string, opts: RequestOptions): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...opts.headers };
      const authorization = await this.#auth.header(opts.scopes);
      if (authorization) headers['authorization'] = authorization;
      let res: Response;
      try {
        res =
          typeof opts.body === 'function'
            ? await streamRequest(url, method, headers, opts.body())
            : await fetch(url, { method, headers, body: opts.body, redirect: opts.redirect ?? 'manual' });
      } catch (e) {
        throw new RegistryError(
          `${method} ${url} failed: ${(e as Error).message}; check that the registry is reachable`,
          0,
          undefined,
          { cause: e },
        );
      }
      if (res.status !== 401) return res;
      const retry = attempt === 0 && (await this.#auth.onUnauthorized(res, opts.scopes));
      if (!retry) {
        const text = await res.text();
        throw new RegistryAuthError(
          `registry refused ${method} ${url} (HTTP 401 ${registryErrorCode(text) ?? ''}): check the credentials and that they may ${opts.scopes.join(' and ')}`,
        );
      }
      await res.body?.cancel();
    }
  }
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

function registryErrorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    return body.errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

async function expectStatus(res: Response, ok: readonly number[], what: string): Promise<void> {
  if (ok.includes(res.status)) return;
  const text = await res.text().catch(() => '');
  const code = registryErrorCode(text);
  throw new RegistryError(
    `${what}: registry answered HTTP ${res.status}${code ? ` ${code}` : ''}${text ? `: ${text.slice(0, 300)}` : ''}`,
    res.status,
    code,
  );
}
