/** Middlewares shared by the functions: factories returning { before, after, onError } (see handler.ts). */
import { errorResponse } from '../../api/handler.ts';
import { isWharfError } from '../../core/errors.ts';
import type { Middleware } from './handler.ts';
import { jsonResult } from './http.ts';
import type { Logger } from './logger.ts';

/** Lines logged during an invocation carry its request id. */
export function requestId(logger: Logger): Middleware {
  const clear = () => logger.setRequestId(null);
  return {
    before: (request) => logger.setRequestId(request.context?.awsRequestId ?? null),
    after: clear,
    // runs last of the onError middlewares (they run in reverse): the error lines keep the id
    onError: clear,
  };
}

/** Turns an escaped error into the API's JSON error body, logged once. */
export function httpErrors(logger: Logger): Middleware {
  return {
    onError: async (request) => {
      const e = request.error;
      if (!isWharfError(e) || e.code === 'internal') logger.error('request failed', { error: e as Error });
      const res = errorResponse(e);
      request.response = jsonResult(res.status, res.body);
    },
  };
}

/** Sends the log lines the control plane buffered before the Lambda freezes. */
export function flushAfter(flush: () => Promise<void>): Middleware {
  const run = async () => {
    await flush().catch(() => {});
  };
  return { after: run, onError: run };
}

/**
 * Event handlers rethrow so that EventBridge retries and, in the end, the dead-letter
 * queue keeps the event; the error is logged with the event's id first.
 */
export function logEventErrors<TEvent>(logger: Logger): Middleware<TEvent> {
  return {
    onError: async (request) => {
      const event = request.event as { id?: string; 'detail-type'?: string } | undefined;
      logger.error('event handler failed', {
        eventId: event?.id,
        detailType: event?.['detail-type'],
        error: request.error as Error,
      });
    },
  };
}
