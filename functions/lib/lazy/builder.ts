/** Loaded on first use of the builder: the CodeBuild client and adapter. */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeBuildBuilder, type CodeBuildBuilderOptions } from '../../../adapters/aws/codebuild-builder.ts';

export function makeBuilder(
  region: string,
  options: Omit<CodeBuildBuilderOptions, 'client'>,
): CodeBuildBuilder {
  return new CodeBuildBuilder({ ...options, client: new CodeBuildClient({ region }) });
}
