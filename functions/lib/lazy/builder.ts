/** Loaded on first use of the builder: the CodeBuild client and adapter. */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeBuildBuilder, type CodeBuildBuilderOptions } from '../../../adapters/aws/codebuild-builder.ts';
import { readAwsConfig } from '../config.ts';
import { makeSecretStore } from '../secret-store.ts';

export function makeBuilder(
  region: string,
  options: Omit<CodeBuildBuilderOptions, 'client' | 'buildEnvSecrets'> &
    Partial<Pick<CodeBuildBuilderOptions, 'buildEnvSecrets'>>,
): CodeBuildBuilder {
  // Config vars reach builds through Secrets Manager only: the platform's store unless given one.
  const buildEnvSecrets = options.buildEnvSecrets ?? makeSecretStore(region, readAwsConfig().secretsPrefix);
  return new CodeBuildBuilder({ ...options, buildEnvSecrets, client: new CodeBuildClient({ region }) });
}
