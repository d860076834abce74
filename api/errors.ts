/** The one table from error codes to HTTP statuses; the client maps statuses back. */
import type { ErrorCode } from '../core/errors.ts';

export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  build_failed: 422,
  deploy_failed: 422,
  internal: 500,
  unavailable: 503,
};

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details?: Record<string, unknown>;
  };
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code in STATUS_BY_CODE;
}
