/** One platform per Lambda container, built on first use so that imports stay cheap. */
import { Logger } from '@aws-lambda-powertools/logger';
import { type AwsPlatform, createAwsPlatform } from './aws-platform.ts';
import { readAwsConfig } from './config.ts';

let platform: AwsPlatform | null = null;

export function getPlatform(): AwsPlatform {
  platform ??= createAwsPlatform(readAwsConfig());
  return platform;
}

/** For tests: build the next platform from this env. */
export function resetPlatform(): void {
  platform = null;
}

export const logger = new Logger({ serviceName: 'wharf' });
