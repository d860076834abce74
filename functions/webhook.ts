/** POST /webhooks/<provider>/<app>: git host deliveries (unsigned by IAM: the signature is checked here). */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResult, lowerHeaders, rawBody } from './lib/http.ts';
import { flushAfter, httpErrors } from './lib/middleware.ts';
import { getPlatform, logger } from './lib/platform.ts';
import { handleWebhook } from './lib/webhook-handler.ts';
import { appSecretName } from '../core/secret-names.ts';

async function webhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const p = getPlatform();
  const res = await handleWebhook(
    {
      getApp: (name) => p.store.getApp(name),
      webhookSecret: (app) => p.secrets.get(appSecretName('webhook', app)),
      markDelivery: (id, ttlMs) => p.store.markDelivery(id, ttlMs),
      maxBodyBytes: p.config.maxWebhookBytes,
      startBuild: async (app, push) => {
        if (!push.cloneUrl) throw new Error(`the ${push.repository} push carries no clone URL`);
        const result = await p.controlPlane.push(app, {
          source: { kind: 'git', url: push.cloneUrl, ref: push.commit },
          sourceVersion: push.commit,
          output: (line) => logger.info(line, { app }),
        });
        return { buildId: result.build.id };
      },
    },
    { path: event.rawPath, headers: lowerHeaders(event.headers), body: rawBody(event) },
  );
  logger.info('webhook answered', { status: res.status, outcome: res.body['status'] });
  return jsonResult(res.status, res.body);
}

export const handler = middy(webhook)
  .use(httpErrors(logger))
  .use(flushAfter(() => getPlatform().logs.flush()));
