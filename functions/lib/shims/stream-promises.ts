/**
 * Stands in for `node:stream/promises` in the Lambda bundles (an esbuild alias, see
 * bundling.ts): middy imports `pipeline` for streamed responses, which Wharf's handlers never
 * send, and the S3 artifact store for uploads. The real module loads on the first call.
 */
import type * as StreamPromises from 'node:stream/promises';

export const pipeline: typeof StreamPromises.pipeline = ((...args: unknown[]) =>
  (process.getBuiltinModule('node:stream/promises').pipeline as (...a: unknown[]) => Promise<void>)(
    ...args,
  )) as typeof StreamPromises.pipeline;
