/**
 * Discovery names (Flynn's discoverd scheme) under a configurable zone:
 *   TYPE.APP.ZONE          every healthy instance (A)
 *   _TYPE._tcp.APP.ZONE    every healthy instance with its port (SRV)
 *   ID.TYPE.APP.ZONE       one instance
 *   leader.TYPE.APP.ZONE   the leader
 * Pure string functions; DNS is case-insensitive, so everything is compared lowercased.
 */
import { ValidationError } from '../errors.ts';

export const DEFAULT_ZONE = 'wharf.internal';

/** The one label that cannot be an instance id, since it names the leader. */
export const LEADER_LABEL = 'leader';

export type DiscoveryName =
  | { readonly kind: 'apex' }
  | { readonly kind: 'app'; readonly app: string }
  | { readonly kind: 'service'; readonly app: string; readonly type: string }
  | { readonly kind: 'srv'; readonly app: string; readonly type: string }
  | { readonly kind: 'instance'; readonly app: string; readonly type: string; readonly id: string }
  | { readonly kind: 'leader'; readonly app: string; readonly type: string }
  /** inside the zone but not a shape Wharf answers */
  | { readonly kind: 'unknown' };

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Lowercases a zone and strips a trailing dot; throws ValidationError when it is not a DNS name. */
export function normalizeZone(zone: string): string {
  const z = zone.trim().toLowerCase().replace(/\.$/, '');
  const labels = z.split('.');
  if (z.length === 0 || z.length > 200 || labels.some((l) => !LABEL.test(l))) {
    throw new ValidationError(
      `invalid discovery zone "${zone}": give a DNS name such as "${DEFAULT_ZONE}" (labels of letters, digits and hyphens)`,
      { details: { field: 'zone', value: zone } },
    );
  }
  return z;
}

function join(...labels: string[]): string {
  return labels.join('.').toLowerCase();
}

export function serviceName(app: string, type: string, zone = DEFAULT_ZONE): string {
  return join(type, app, zone);
}

export function srvName(app: string, type: string, zone = DEFAULT_ZONE): string {
  return join(`_${type}`, '_tcp', app, zone);
}

/**
 * The DNS label of an instance id. Ids need not be labels (the local supervisor's are
 * `web.3f2a…`, with a dot), so every character other than a letter, digit or hyphen
 * becomes a hyphen: `web.3f2a…` is named `web-3f2a….web.APP.ZONE`.
 */
export function instanceLabel(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export function instanceName(app: string, type: string, id: string, zone = DEFAULT_ZONE): string {
  return join(instanceLabel(id), type, app, zone);
}

export function leaderName(app: string, type: string, zone = DEFAULT_ZONE): string {
  return join(LEADER_LABEL, type, app, zone);
}

/**
 * Classifies a queried name. Returns null when the name is outside the zone (the DNS
 * server answers REFUSED), `unknown` when it is inside but matches no shape (NXDOMAIN).
 */
export function parseDiscoveryName(name: string, zone = DEFAULT_ZONE): DiscoveryName | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  const z = zone.toLowerCase();
  if (n === z) return { kind: 'apex' };
  if (!n.endsWith(`.${z}`)) return null;
  const labels = n.slice(0, -(z.length + 1)).split('.');
  if (labels.some((l) => l.length === 0)) return { kind: 'unknown' };
  if (labels.length === 1) return { kind: 'app', app: labels[0]! };
  if (labels.length === 2) {
    const [type, app] = labels as [string, string];
    return type.startsWith('_') ? { kind: 'unknown' } : { kind: 'service', app, type };
  }
  if (labels.length === 3) {
    const [first, second, app] = labels as [string, string, string];
    if (first.startsWith('_') && second === '_tcp' && first.length > 1) {
      return { kind: 'srv', app, type: first.slice(1) };
    }
    if (first.startsWith('_') || second.startsWith('_')) return { kind: 'unknown' };
    if (first === LEADER_LABEL) return { kind: 'leader', app, type: second };
    return { kind: 'instance', app, type: second, id: first };
  }
  return { kind: 'unknown' };
}
