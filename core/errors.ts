/**
 * Domain errors. Each carries a stable code; api/errors.ts maps codes to HTTP statuses
 * in one table and the typed client maps them back.
 */
export type ErrorCode =
  | 'validation_error'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'build_failed'
  | 'deploy_failed'
  | 'unavailable'
  | 'internal';

export class WharfError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options?: ErrorOptions & { details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.name = 'WharfError';
    this.code = code;
    this.details = options?.details;
  }
}

export class ValidationError extends WharfError {
  constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super('validation_error', message, options);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('not_found', message, options);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('conflict', message, options);
    this.name = 'ConflictError';
  }
}

export class UnauthorizedError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('unauthorized', message, options);
    this.name = 'UnauthorizedError';
  }
}

export class BuildFailedError extends WharfError {
  constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super('build_failed', message, options);
    this.name = 'BuildFailedError';
  }
}

export class DeployFailedError extends WharfError {
  constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super('deploy_failed', message, options);
    this.name = 'DeployFailedError';
  }
}

export function isWharfError(e: unknown): e is WharfError {
  return e instanceof WharfError;
}
