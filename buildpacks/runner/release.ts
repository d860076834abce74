import { parse } from 'yaml';

export interface ReleaseInfo {
  processTypes: Record<string, string>;
  addons: string[];
  configVars: Record<string, string>;
}

/** Parses `bin/release` output; empty output and `--- {}` are valid and mean nothing. */
export function parseReleaseYaml(text: string): ReleaseInfo {
  const doc: unknown = text.trim() === '' ? {} : parse(text);
  const info: ReleaseInfo = { processTypes: {}, addons: [], configVars: {} };
  if (doc === null || doc === undefined) return info;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error('bin/release must print a YAML mapping (default_process_types, addons, config_vars)');
  }
  const d = doc as Record<string, unknown>;
  info.processTypes = stringMap(d['default_process_types'], 'default_process_types');
  info.configVars = stringMap(d['config_vars'], 'config_vars');
  const addons = d['addons'];
  if (addons !== undefined && addons !== null) {
    if (!Array.isArray(addons)) throw new Error('addons must be a list');
    info.addons = addons.map((a) => String(a));
  }
  return info;
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${field} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === null || val === undefined) continue;
    out[k] = typeof val === 'string' ? val : String(val);
  }
  return out;
}

/** Later buildpacks win per process type and config var; addons are unioned in order. */
export function mergeReleases(releases: ReleaseInfo[]): ReleaseInfo {
  const merged: ReleaseInfo = { processTypes: {}, addons: [], configVars: {} };
  for (const r of releases) {
    Object.assign(merged.processTypes, r.processTypes);
    Object.assign(merged.configVars, r.configVars);
    for (const a of r.addons) if (!merged.addons.includes(a)) merged.addons.push(a);
  }
  return merged;
}

/** The environment a release's processes get: buildpack defaults, then the app's config vars. */
export function releaseEnv(
  configDefaults: Record<string, string>,
  configVars: Record<string, string>,
): Record<string, string> {
  return { ...configDefaults, ...configVars };
}
