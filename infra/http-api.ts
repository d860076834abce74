import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allow } from './iam.ts';
import { acknowledge } from './nag.ts';
import type { ThrottleLimits } from './props.ts';

export interface WharfHttpApiProps {
  readonly name: string;
  readonly apiFunction: lambda.IFunction;
  readonly webhookFunction: lambda.IFunction;
  readonly apiThrottle: ThrottleLimits;
  readonly webhookThrottle: ThrottleLimits;
  readonly logRetention: logs.RetentionDays;
  /** `/<name>/apps/`: the apps' log groups, which `wharf log -f`, `run` and `deploy` tail */
  readonly appLogGroupPrefix: string;
}

/** Route of the public webhook endpoint: `POST /webhooks/<provider>/<app>`. */
export const WEBHOOK_ROUTE = 'POST /webhooks/{proxy+}';
/** Every other path goes to the API function, signed with SigV4 (IAM auth). */
export const API_ROUTE = 'ANY /{proxy+}';

/**
 * The HTTP API in front of the control plane. Callers sign requests with their AWS
 * credentials (`execute-api:Invoke`, granted by the operator policy); git hosts call the
 * webhook route unsigned and the handler checks their signature.
 */
export class WharfHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** Attach to the IAM users, groups or roles that may use the Wharf CLI. */
  readonly operatorPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: WharfHttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${props.name}-api`,
      description: 'Wharf control plane',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.apiThrottle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            bytes: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            error: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    // The webhook route takes less traffic than the API, and is the one open to the internet.
    // RouteSettings is a free-form map, which CDK passes through as is: its keys must be CloudFormation's.
    (this.stage.node.defaultChild as apigw.CfnStage).addPropertyOverride('RouteSettings', {
      [WEBHOOK_ROUTE]: {
        ThrottlingRateLimit: props.webhookThrottle.rateLimit,
        ThrottlingBurstLimit: props.webhookThrottle.burstLimit,
      },
    });

    const [webhookRoute] = this.api.addRoutes({
      path: '/webhooks/{proxy+}',
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', props.webhookFunction),
    });
    acknowledge(
      webhookRoute!,
      'APIG4',
      "Git hosts cannot sign with SigV4; the webhook handler verifies each delivery's HMAC signature in constant time.",
    );
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [apigw.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Api', props.apiFunction),
      authorizer: new HttpIamAuthorizer(),
    });

    this.operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description: 'Use the Wharf CLI: call the Wharf API (SigV4-signed requests)',
    });
    allow(this.operatorPolicy, {
      sid: 'CallWharfApi',
      actions: ['execute-api:Invoke'],
      resources: [
        Stack.of(this).formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: '$default/*/*',
        }),
      ],
      why: 'Every method and path of the Wharf API (its stage, method and path make up the rest of the ARN).',
    });
    allow(this.operatorPolicy, {
      sid: 'FollowAppLogs',
      actions: ['logs:StartLiveTail'],
      resources: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: `${props.appLogGroupPrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      why: '`wharf log -f`, `wharf run` and `wharf deploy` follow the app log groups with CloudWatch Live Tail, signed by the user.',
    });
  }

  get url(): string {
    return this.api.apiEndpoint;
  }
}
