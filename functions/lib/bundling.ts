/**
 * How the Lambda functions are bundled, shared by the CDK (infra) and the bundle bench so
 * that what is measured is what ships: esbuild, ESM, minified, the AWS SDK inside, code
 * split so that adapters loaded lazily (lazy.ts) stay out of the cold start.
 */
import { fileURLToPath } from 'node:url';

export const LAMBDA_NODE_TARGET = 'node22';

export const LAMBDA_FUNCTIONS = ['api', 'webhook', 'build-events', 'task-events', 'stack-events'] as const;

export function lambdaEsbuildOptions() {
  return {
    bundle: true,
    minify: true,
    format: 'esm' as const,
    platform: 'node' as const,
    target: LAMBDA_NODE_TARGET,
    splitting: true,
    mainFields: ['module', 'main'],
    legalComments: 'none' as const,
    // Lambda's ESM runtime has no require(): give bundled CommonJS code one.
    banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
    alias: {
      '@aws-sdk/credential-provider-node': fileURLToPath(new URL('./env-credentials.ts', import.meta.url)),
      'node:process': fileURLToPath(new URL('./shims/process.ts', import.meta.url)),
      'node:stream/web': fileURLToPath(new URL('./shims/stream-web.ts', import.meta.url)),
      'node:stream/promises': fileURLToPath(new URL('./shims/stream-promises.ts', import.meta.url)),
    },
  };
}
