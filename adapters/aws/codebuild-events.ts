/**
 * CodeBuild "Build State Change" events (EventBridge) → the build's outcome. The
 * buildspec exports what the build made as exported-variables (all base64 JSON but the
 * image fields): WHARF_IMAGE_URI, WHARF_IMAGE_DIGEST, WHARF_PROCESS_TYPES,
 * WHARF_CONFIG_DEFAULTS, WHARF_BUILDPACKS, WHARF_APP_CONFIG ({ wharfJson, appJson }), WHARF_CACHE_HIT.
 */
import { ValidationError } from '../../core/errors.ts';
import type { BuildOutcome } from '../../core/ports.ts';

export interface CodeBuildStateEvent {
  readonly 'detail-type'?: string;
  readonly detail?: {
    readonly 'build-status'?: string;
    readonly 'build-id'?: string;
    readonly 'additional-information'?: {
      readonly environment?: {
        readonly 'environment-variables'?: readonly { name: string; value: string }[];
      };
      readonly 'exported-environment-variables'?: readonly { name: string; value: string }[];
      readonly phases?: readonly {
        'phase-type'?: string;
        'phase-status'?: string;
        'duration-in-seconds'?: number;
        'phase-context'?: string[];
      }[];
    };
  };
}

export type CodeBuildState =
  | { readonly kind: 'running'; readonly buildId: string }
  | { readonly kind: 'finished'; readonly buildId: string; readonly outcome: BuildOutcome };

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT']);

export function parseCodeBuildEvent(event: CodeBuildStateEvent): CodeBuildState | null {
  const detail = event.detail;
  const status = detail?.['build-status'];
  if (!detail || !status)
    throw new ValidationError('not a CodeBuild state-change event: detail.build-status is missing');
  const info = detail['additional-information'] ?? {};
  const vars = new Map((info.environment?.['environment-variables'] ?? []).map((v) => [v.name, v.value]));
  const buildId = vars.get('WHARF_BUILD_ID');
  if (!buildId) return null; // a build Wharf did not start
  if (!FINISHED.has(status)) return { kind: 'running', buildId };
  const timings: Record<string, number> = {};
  for (const p of info.phases ?? []) {
    if (p['phase-type'] && p['duration-in-seconds'] !== undefined)
      timings[p['phase-type'].toLowerCase()] = p['duration-in-seconds'] * 1000;
  }
  if (status !== 'SUCCEEDED') {
    const failed = (info.phases ?? []).find((p) => p['phase-status'] && p['phase-status'] !== 'SUCCEEDED');
    const context = failed?.['phase-context']?.filter((c) => c && c !== ': ').join('; ');
    const where = failed?.['phase-type'] ? ` in phase ${failed['phase-type']}` : '';
    return {
      kind: 'finished',
      buildId,
      outcome: {
        ok: false,
        error: `CodeBuild build ${status.toLowerCase()}${where}${context ? `: ${context}` : ''}`,
        timings,
      },
    };
  }
  const exported = new Map((info['exported-environment-variables'] ?? []).map((v) => [v.name, v.value]));
  const uri = exported.get('WHARF_IMAGE_URI');
  if (!uri) {
    return {
      kind: 'finished',
      buildId,
      outcome: {
        ok: false,
        error: 'the build succeeded but exported no WHARF_IMAGE_URI: check the buildspec',
        timings,
      },
    };
  }
  const digest = exported.get('WHARF_IMAGE_DIGEST');
  const appConfig = decodeJson<BuildOutcome['appConfig'] | null>(exported.get('WHARF_APP_CONFIG'), null);
  return {
    kind: 'finished',
    buildId,
    outcome: {
      ok: true,
      artifact: {
        kind: 'image',
        uri,
        ...(digest ? { digest } : {}),
        processTypes: decodeJson(exported.get('WHARF_PROCESS_TYPES'), {}),
        configDefaults: decodeJson(exported.get('WHARF_CONFIG_DEFAULTS'), {}),
      },
      buildpacks: decodeJson(exported.get('WHARF_BUILDPACKS'), []),
      cacheHit: exported.get('WHARF_CACHE_HIT') === 'true',
      ...(appConfig ? { appConfig } : {}),
      timings,
    },
  };
}

function decodeJson<T>(value: string | undefined, fallback: T): T {
  if (!value) return fallback;
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as T;
  } catch (e) {
    throw new ValidationError(`CodeBuild exported a value that is not base64 JSON: ${value.slice(0, 40)}`, {
      cause: e,
    });
  }
}
