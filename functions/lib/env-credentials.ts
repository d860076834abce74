/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild
 * alias, see bundling.ts): in Lambda the credentials are always in the environment, so
 * the SSO, INI, process and IMDS providers (and the STS clients they pull in) are dead
 * weight at every cold start.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (_init?: unknown) => fromEnv();
