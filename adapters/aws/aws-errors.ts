/**
 * The edge between the AWS SDK and the core: SDK exceptions become core errors here,
 * and throttled calls are retried with capped, jittered exponential backoff.
 */
import { ConflictError, NotFoundError, ValidationError, WharfError } from '../../core/errors.ts';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

export function errorName(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const named = e as { name?: unknown; Code?: unknown };
    if (typeof named.name === 'string') return named.name;
    if (typeof named.Code === 'string') return named.Code;
  }
  return '';
}

export function isThrottling(e: unknown): boolean {
  if (THROTTLING.has(errorName(e))) return true;
  const meta = (e as { $retryable?: { throttling?: boolean } } | null)?.$retryable;
  return meta?.throttling === true;
}

export interface BackoffOptions {
  /** attempts in all, the first included */
  readonly maxAttempts?: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** 0..1; injected so tests are deterministic */
  readonly random?: () => number;
  /** called before each wait, for logs and tests */
  readonly onRetry?: (attempt: number, waitMs: number, error: unknown) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `op`, retrying while AWS throttles it; the last throttling error is rethrown as is. */
export async function withBackoff<T>(op: () => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseMs = options.baseMs ?? 100;
  const maxMs = options.maxMs ?? 5_000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isThrottling(e) || attempt >= maxAttempts) throw e;
      // "Equal jitter": at least half the exponential step, so waits still grow.
      const step = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      const waitMs = Math.round(step / 2 + (random() * step) / 2);
      options.onRetry?.(attempt, waitMs, e);
      await sleep(waitMs);
    }
  }
}

/** Translates an SDK exception into the core's error for `what` (e.g. "app myapp"). */
export function translateAwsError(e: unknown, what: string): Error {
  if (e instanceof WharfError) return e;
  const name = errorName(e);
  const message = e instanceof Error ? e.message : String(e);
  switch (name) {
    case 'ConditionalCheckFailedException':
    case 'TransactionCanceledException':
    case 'ResourceExistsException':
    case 'ServiceAlreadyExists':
    case 'DuplicateTargetGroupName':
    // SDK v3 names ELB's errors with the Exception suffix; the wire codes lack it
    case 'DuplicateTargetGroupNameException':
    case 'PriorityInUseException':
    case 'PriorityInUse':
      return new ConflictError(`${what}: changed or created concurrently (${name}); retry the request`, {
        cause: e,
      });
    case 'ResourceNotFoundException':
    case 'NoSuchKey':
    case 'NotFound':
    case 'ServiceNotFound':
    case 'NamespaceNotFound':
    case 'TargetGroupNotFound':
    case 'RuleNotFound':
    case 'ListenerNotFound':
    case 'TargetGroupNotFoundException':
    case 'RuleNotFoundException':
    case 'ListenerNotFoundException':
    case 'InstanceNotFound':
    case 'ClusterNotFoundException':
    case 'ServiceNotFoundException':
      return new NotFoundError(`${what}: not found in AWS (${name})`, { cause: e });
    case 'ValidationException':
    case 'InvalidParameterException':
    case 'InvalidParameterValue':
    case 'InvalidInput':
    case 'InvalidRequestException':
      return new ValidationError(`${what}: AWS refused the request: ${message}`, { cause: e });
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnauthorizedOperation':
      return new WharfError(
        'forbidden',
        `${what}: the platform's IAM role may not do this (${name}); redeploy the platform stack to update its policies`,
        { cause: e },
      );
    default:
      if (isThrottling(e)) {
        return new WharfError(
          'unavailable',
          `${what}: AWS is throttling requests; try again in a few seconds`,
          {
            cause: e,
          },
        );
      }
      return new WharfError('internal', `${what}: AWS call failed: ${name || 'error'}: ${message}`, {
        cause: e,
      });
  }
}

/** `withBackoff` then `translateAwsError`: how every adapter calls AWS. */
export async function awsCall<T>(what: string, op: () => Promise<T>, options?: BackoffOptions): Promise<T> {
  try {
    return await withBackoff(op, options);
  } catch (e) {
    throw translateAwsError(e, what);
  }
}
