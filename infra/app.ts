/**
 * The CDK app of `npx cdk synth|deploy` (cdk.json runs `node infra/app.ts`). Synth
 * needs no AWS account, credentials or network unless wharf:account is set.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WharfStack } from './stack.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key) as unknown;
  return typeof v === 'string' && v !== '' ? v : undefined;
};
new WharfStack(app, context('wharf:stackName') ?? 'Wharf', {
  env: {
    account: context('wharf:account'),
    region: context('wharf:region') ?? process.env.CDK_DEFAULT_REGION,
  },
});
// Any AwsSolutions finding that is not acknowledged in code fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
