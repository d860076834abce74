/**
 * A Lambda handler with middlewares, as middy runs them: `before` in order, the handler,
 * `after` in reverse order; an error anywhere runs `onError` in reverse order, and an
 * `onError` that sets `request.response` answers instead of the error. Middlewares are
 * middy's shape (`{ before, after, onError }` factories), so they move to middy unchanged.
 * Not middy itself: `@middy/core` imports node:stream/web, node:stream/promises and
 * node:timers for response streaming, which the functions do not use, and those cost
 * every cold start more than the rest of middy (docs/lambda-cold-start.md).
 */
import type { Context } from 'aws-lambda';

export interface Request<TEvent = unknown, TResult = unknown> {
  readonly event: TEvent;
  readonly context: Context;
  response: TResult | undefined;
  error: unknown;
}

export interface Middleware<TEvent = unknown, TResult = unknown> {
  before?: (request: Request<TEvent, TResult>) => Promise<void> | void;
  after?: (request: Request<TEvent, TResult>) => Promise<void> | void;
  onError?: (request: Request<TEvent, TResult>) => Promise<void> | void;
}

export class LambdaTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LambdaTimeoutError';
  }
}

/** How long before Lambda's own timeout the handler gives up, so that onError still runs (middy's default). */
const TIMEOUT_EARLY_MS = 5;

async function run<TEvent, TResult>(
  request: Request<TEvent, TResult>,
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): Promise<TResult> {
  const remaining = request.context?.getRemainingTimeInMillis?.();
  if (typeof remaining !== 'number' || !Number.isFinite(remaining)) {
    return handler(request.event, request.context);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LambdaTimeoutError(
            `the handler did not finish within the function's timeout (${remaining} ms were left): raise the timeout or find the slow call in the logs`,
          ),
        ),
      Math.max(0, remaining - TIMEOUT_EARLY_MS),
    );
  });
  try {
    return await Promise.race([handler(request.event, request.context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function lambdaHandler<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
  ...middlewares: readonly Middleware<TEvent, TResult>[]
): (event: TEvent, context: Context) => Promise<TResult> {
  const reversed = [...middlewares].reverse();
  return async (event, context) => {
    const request: Request<TEvent, TResult> = { event, context, response: undefined, error: undefined };
    try {
      for (const m of middlewares) await m.before?.(request);
      request.response = await run(request, handler);
      for (const m of reversed) await m.after?.(request);
      return request.response as TResult;
    } catch (e) {
      request.error = e;
      request.response = undefined;
      // an onError middleware that throws ends the invocation with its own error, as in middy
      for (const m of reversed) await m.onError?.(request);
      if (request.response === undefined) throw request.error;
      return request.response;
    }
  };
}
