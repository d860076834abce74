/** Middy middlewares shared by the functions: factories returning { before, after, onError }. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { errorResponse } from '../../api/handler.ts';
import { isWharfError } from '../../core/errors.ts';
import { jsonResult } from './http.ts';

/** Turns an escaped error into the API's JSON error body, logged once. */
export function httpErrors(logger: Logger): MiddlewareObj {
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
export function flushAfter(flush: () => Promise<void>): MiddlewareObj {
  const run = async () => {
    await flush().catch(() => {});
  };
  return { after: run, onError: run };
}

/**
 * Event handlers rethrow so that EventBridge retries and, in the end, the dead-letter
 * queue keeps the event; the error is logged with the event's id first.
 */
export function logEventErrors(logger: Logger): MiddlewareObj<{ id?: string; 'detail-type'?: string }> {
  return {
    onError: async (request) => {
      logger.error('event handler failed', {
        eventId: request.event?.id,
        detailType: request.event?.['detail-type'],
        error: request.error as Error,
      });
    },
  };
}
