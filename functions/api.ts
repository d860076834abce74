/** The Wharf API behind API Gateway with IAM auth: the shared routes plus the AWS-only ones. */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type ApiRequest, createApiHandler } from '../api/handler.ts';
import { awsRoutes } from './lib/aws-routes.ts';
import { callerOf } from './lib/caller.ts';
import { NotFoundError } from '../core/errors.ts';
import { jsonBody, jsonResult, rawBody } from './lib/http.ts';
import { flushAfter, httpErrors } from './lib/middleware.ts';
import { getPlatform, logger } from './lib/platform.ts';

let shared: ReturnType<typeof createApiHandler> | null = null;

async function api(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  const p = getPlatform();
  shared ??= createApiHandler(p.controlPlane);
  const req: ApiRequest = {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    body: jsonBody(rawBody(event)),
  };
  if (req.method === 'GET' && req.path === '/whoami') {
    const caller = callerOf(event);
    if (!caller) {
      throw new NotFoundError(
        'this API is not behind API Gateway’s IAM authorizer, so it knows no caller identity',
      );
    }
    return jsonResult(200, caller);
  }
  const account = () => context.invokedFunctionArn?.split(':')[4] ?? null;
  for (const [method, pattern, run] of awsRoutes(p, account)) {
    const m = method === req.method ? pattern.exec(req.path) : null;
    if (m) {
      const res = await run(m, req);
      return jsonResult(res.status, res.body);
    }
  }
  const res = await shared(req);
  return jsonResult(res.status, res.body);
}

export const handler = middy(api)
  .use(httpErrors(logger))
  .use(flushAfter(() => getPlatform().logs.flush()));
