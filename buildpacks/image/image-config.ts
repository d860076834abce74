import { ImageAssemblyError } from './errors.ts';

/**
 * The entrypoint runs a process the way Heroku's dyno manager does (BUILDPACKS.md, "The slug and
 * the run"): source `.profile.d/*.sh` in order, then `.profile`, then `exec bash -c "<command>"`.
 * It is inline rather than a file in the image because the slug layer must be the slug as is,
 * and a second layer just for a launcher would be one more blob per build. The container command
 * (Docker's Cmd, ECS's `command`) is the process command: `["npm start"]`, or words that are
 * joined with spaces, since Procfile commands are shell strings. `wharf-launch` fills `$0`, so
 * the command's words are `$1…` and appear in error messages under that name.
 */
export const LAUNCHER_SCRIPT = [
  'if [ "$#" -eq 0 ]; then echo "wharf-launch: no command given: pass the process command (e.g. the Procfile web line) as the container command" >&2; exit 64; fi',
  'for wharf_profile in /app/.profile.d/*.sh; do if [ -r "$wharf_profile" ]; then . "$wharf_profile"; fi; done',
  'unset wharf_profile',
  'if [ -r /app/.profile ]; then . /app/.profile; fi',
  'exec bash -c "$*"',
].join('\n');

export const ENTRYPOINT: readonly string[] = ['/bin/bash', '-c', LAUNCHER_SCRIPT, 'wharf-launch'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SlugConfigOptions {
  /** diff_id of the slug layer (sha256 of the uncompressed tar) */
  readonly diffId: string;
  /** ISO 8601 time recorded as the image's creation time */
  readonly created: string;
  /** history line, e.g. "wharf: slug of myapp build b-123" */
  readonly createdBy: string;
  /** default container command (usually the web process); none when absent */
  readonly command?: string;
  /** labels added over the base image's */
  readonly labels?: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

/**
 * The new image config: the base's, with the slug's diff_id appended, a history entry, and the
 * run settings of a Heroku dyno (cwd and HOME /app, the launcher as entrypoint). Pure, so the
 * rules are tested without a registry.
 */
export function buildSlugConfig(base: Json, opts: SlugConfigOptions): Json {
  const rootfs = base['rootfs'] as { type?: string; diff_ids?: unknown } | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) {
    throw new ImageAssemblyError('the base image config has no rootfs.diff_ids; the base image is malformed');
  }
  const baseLayers = rootfs.diff_ids.length;
  const { container: _c, container_config: _cc, ...rest } = base;
  const runConfig = { ...((base['config'] as Json | undefined) ?? {}) };

  const env = new Map<string, string>();
  for (const kv of (runConfig['Env'] as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  env.set('HOME', '/app');
  env.set('PATH', env.get('PATH') ?? DEFAULT_PATH);

  runConfig['Env'] = [...env].map(([k, v]) => `${k}=${v}`);
  runConfig['WorkingDir'] = '/app';
  runConfig['Entrypoint'] = [...ENTRYPOINT];
  if (opts.command) runConfig['Cmd'] = [opts.command];
  else delete runConfig['Cmd'];
  if (opts.labels && Object.keys(opts.labels).length > 0) {
    runConfig['Labels'] = { ...((runConfig['Labels'] as Json | null | undefined) ?? {}), ...opts.labels };
  }

  return {
    ...rest,
    created: opts.created,
    config: runConfig,
    rootfs: { type: 'layers', diff_ids: [...rootfs.diff_ids, opts.diffId] },
    history: appendHistory(base['history'], baseLayers, opts),
  };
}

/**
 * Readers pair non-empty history entries with layers; when the base's history does not line up
 * (some tools omit it) an entry of ours would pair with the wrong layer, so none is added.
 */
function appendHistory(history: unknown, baseLayers: number, opts: SlugConfigOptions): Json[] {
  const entries = Array.isArray(history) ? (history as Json[]) : [];
  const nonEmpty = entries.filter((h) => h['empty_layer'] !== true).length;
  if (nonEmpty !== baseLayers) return entries;
  return [...entries, { created: opts.created, created_by: opts.createdBy, comment: 'buildpack slug' }];
}
