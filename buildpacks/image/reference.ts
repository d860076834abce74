import { InvalidImageOptionError } from './errors.ts';

/** An image in a registry: repository plus a tag or a digest (a digest wins when both are given). */
export interface ImageReference {
  /** `host[:port]`, or undefined for "the registry given beside it" */
  readonly registry: string | undefined;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const REPO_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Parses `[host[:port]/]repo[:tag][@sha256:...]` with Docker's rule: the first component is a
 * registry host when it has a `.` or `:` or is `localhost`. Docker Hub names (`docker.io/x`)
 * become `registry-1.docker.io/library/x`, as Docker does.
 */
export function parseImageReference(ref: string): ImageReference {
  const bad = (why: string): never => {
    throw new InvalidImageOptionError(
      `invalid image reference "${ref}": ${why}; write it as [host[:port]/]repository[:tag][@sha256:<64 hex>]`,
      { details: { reference: ref } },
    );
  };
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad('the digest must be sha256: followed by 64 lowercase hex digits');
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(`the tag "${tag}" has characters a tag cannot have`);
  }
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = 'registry-1.docker.io';
    if (!rest.includes('/')) rest = `library/${rest}`;
  }
  if (rest.length === 0 || !rest.split('/').every((c) => REPO_COMPONENT.test(c))) {
    bad('the repository must be lowercase letters, digits and separators (. _ __ -), in /-separated parts');
  }
  return { registry, repository: rest, tag: digest ? undefined : (tag ?? 'latest'), digest };
}

/** The tag or digest to put in a `/manifests/<ref>` URL. */
export function manifestRef(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function formatReference(registry: string, ref: ImageReference): string {
  const host = ref.registry ?? registry;
  return `${host}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
}

/** Accepts `host[:port]` or a URL; returns the base URL and the host as it appears in references. */
export function registryEndpoint(registry: string, insecure = false): { baseUrl: string; host: string } {
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(registry);
  if (m) return { baseUrl: `${m[1]}://${m[2]}`, host: m[2]! };
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry)) {
    throw new InvalidImageOptionError(
      `invalid registry "${registry}": give host[:port] (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com) or http(s)://host[:port]`,
    );
  }
  return { baseUrl: `${insecure ? 'http' : 'https'}://${registry}`, host: registry };
}
