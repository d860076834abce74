/**
 * The HTTP contract shared by the servers (local and Lambda) and the typed client.
 * JSON in and out; errors as ErrorBody (api/errors.ts). Streaming routes (log follow,
 * events follow, deploy upload, one-off run) answer NDJSON frames, see StreamFrame.
 */
import type { AppInfo } from '../core/apps.ts';
import type {
  App,
  Build,
  Deployment,
  Formation,
  Instance,
  LogLine,
  Release,
  Resource,
  Route,
  WharfEvent,
} from '../core/domain.ts';

export type {
  App,
  AppInfo,
  Build,
  Deployment,
  Formation,
  Instance,
  LogLine,
  Release,
  Resource,
  Route,
  WharfEvent,
};

export interface ReleaseChange {
  readonly release: Release;
  readonly deployment: Deployment | null;
}

export interface PushSummary {
  readonly build: Build;
  readonly release: Release | null;
  readonly deployment: Deployment | null;
}

/** One line of a streamed response. */
export type StreamFrame =
  | { readonly out: string }
  | { readonly err: string }
  /** a one-off run's output as it was written, base64: binary and partial lines intact */
  | { readonly stdout: string }
  | { readonly stderr: string }
  | { readonly step: { readonly name: string; readonly ms: number; readonly detail?: string } }
  | { readonly log: LogLine }
  | { readonly event: WharfEvent }
  | { readonly exit: { readonly status: number | null; readonly signal: string | null } }
  /** first frame of a run started with `{stdin: true}` (where its input goes) or `{detach: true}` (its instance) */
  | { readonly run: { readonly id: string } }
  | { readonly result: unknown }
  | {
      readonly error: {
        readonly code: string;
        readonly message: string;
        readonly details?: Record<string, unknown>;
      };
    };

export const API_VERSION = 1;
