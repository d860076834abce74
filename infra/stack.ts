import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { platformPropsFromContext } from './context.ts';
import { WharfPlatform } from './platform.ts';
import type { WharfPlatformProps } from './props.ts';

export interface WharfStackProps extends StackProps {
  /**
   * Platform settings; each one given here wins over its context key.
   * @default - everything from CDK context (`wharf:*` keys), else the WharfPlatformProps defaults
   */
  readonly platform?: WharfPlatformProps;
}

/** The ready stack of `npx cdk deploy`: one WharfPlatform configured from CDK context. */
export class WharfStack extends Stack {
  readonly platform: WharfPlatform;

  constructor(scope: Construct, id: string, props: WharfStackProps = {}) {
    super(scope, id, {
      description: 'Wharf: a Flynn-style platform as a service on ECS Fargate (docs/aws.md)',
      ...props,
    });
    const fromContext = platformPropsFromContext(this);
    this.platform = new WharfPlatform(this, 'Wharf', { ...fromContext, ...props.platform });

    const p = this.platform;
    new CfnOutput(this, 'ApiUrl', { value: p.httpApi.url, description: 'wharf login <this URL>' });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${p.httpApi.url}/webhooks/`,
      description: 'Git host webhooks: <this URL><provider>/<app> (github, gitlab, bitbucket, gitea)',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: p.storage.webhookSecret.secretArn,
      description: 'aws secretsmanager get-secret-value --secret-id <this ARN>',
    });
    new CfnOutput(this, 'OperatorPolicyArn', {
      value: p.httpApi.operatorPolicy.managedPolicyArn,
      description: 'Attach to the IAM users or roles that use the Wharf CLI',
    });
    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: p.loadBalancers.loadBalancers[0]!.loadBalancerDnsName,
      description: 'Point *.<domain> here when Wharf does not manage the DNS zone',
    });
    new CfnOutput(this, 'DashboardName', { value: p.monitoring.dashboard.dashboardName });
  }
}
