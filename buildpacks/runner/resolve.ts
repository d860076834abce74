import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_ALIASES, GIT_ALIASES, registryTarballUrl } from './aliases.ts';

export const BUILTIN_DIR = fileURLToPath(new URL('../builtin/', import.meta.url));

export type ResolvedRef =
  | { kind: 'builtin'; name: string; path: string; url: string }
  | { kind: 'local'; path: string; url: string }
  | { kind: 'git'; url: string; ref: string | undefined; display: string }
  | { kind: 'tarball'; url: string; display: string };

const TARBALL_RE = /(\.tgz|\.tar\.gz|\.tar|\.tar\.bz2|\.tar\.xz)$|\/tarball\/[^/]+$/i;
const SHORTHAND_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;
const SCP_LIKE_RE = /^[\w.-]+@[\w.-]+:.+/;

/** Splits a reference at the first `#` into location and ref. */
export function splitRef(reference: string): { location: string; ref: string | undefined } {
  const i = reference.indexOf('#');
  if (i < 0) return { location: reference, ref: undefined };
  const ref = reference.slice(i + 1);
  return { location: reference.slice(0, i), ref: ref === '' ? undefined : ref };
}

/**
 * What a buildpack reference names. Local paths are absolute, or start with `./` or `../`
 * (relative to the app's source, for buildpacks kept in the app's repository); a bare `ns/name`
 * is always a shorthand, resolved through the alias table, else Heroku's registry.
 */
export function resolveReference(reference: string, sourceDir?: string): ResolvedRef {
  const trimmed = reference.trim();
  const builtin = builtinName(trimmed);
  if (builtin) {
    return { kind: 'builtin', name: builtin, path: path.join(BUILTIN_DIR, builtin), url: trimmed };
  }
  const { location, ref } = splitRef(trimmed);
  if (SHORTHAND_RE.test(location) && !location.startsWith('.')) {
    const git = GIT_ALIASES[location];
    if (git) return { kind: 'git', url: git, ref, display: trimmed };
    const [ns, name] = location.split('/') as [string, string];
    return { kind: 'tarball', url: registryTarballUrl(ns, name), display: trimmed };
  }
  if (/^https?:\/\//i.test(location)) {
    if (TARBALL_RE.test(location) && ref === undefined) {
      return { kind: 'tarball', url: trimmed, display: trimmed };
    }
    return { kind: 'git', url: location, ref, display: trimmed };
  }
  if (/^(git|ssh|git\+ssh):\/\//i.test(location) || SCP_LIKE_RE.test(location)) {
    return { kind: 'git', url: location, ref, display: trimmed };
  }
  if (/^file:\/\//i.test(location)) {
    const p = fileURLToPath(location);
    if (ref === undefined && !isGitRepo(p)) return localOrTarball(p, trimmed);
    return { kind: 'git', url: location, ref, display: trimmed };
  }
  const base = sourceDir ?? process.cwd();
  const p = path.resolve(base, location);
  if (ref !== undefined) return { kind: 'git', url: p, ref, display: trimmed };
  return localOrTarball(p, trimmed);
}

function localOrTarball(p: string, display: string): ResolvedRef {
  if (TARBALL_RE.test(p)) return { kind: 'tarball', url: p, display };
  return { kind: 'local', path: p, url: display };
}

function builtinName(reference: string): string | undefined {
  const alias = BUILTIN_ALIASES[reference];
  if (alias) return alias;
  const m = /^builtin:([\w-]+)$/.exec(reference);
  return m ? m[1] : undefined;
}

function isGitRepo(p: string): boolean {
  return existsSync(path.join(p, '.git')) || existsSync(path.join(p, 'HEAD'));
}
