import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ECS_DEPLOYMENT, TARGET_GROUP_DEFAULTS, targetGroupAttributes } from '../../infra/deploy-settings.ts';
import { MAX_LOAD_BALANCERS } from '../../infra/props.ts';
import { resourceProps, synthPlatform } from './helpers.ts';

// One synth per configuration, shared by every assertion below.
const plain = synthPlatform();
const withDomain = synthPlatform({}, (stack) => ({
  domain: 'apps.example.com',
  hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
    hostedZoneId: 'Z123',
    zoneName: 'example.com',
  }),
}));
const t = plain.template;

const BRIEF_ENV = [
  'WHARF_TABLE',
  'WHARF_BUCKET',
  'WHARF_CLUSTER',
  'WHARF_NAMESPACE_ID',
  'WHARF_NAMESPACE_NAME',
  'WHARF_LISTENER_ARNS',
  'WHARF_ALB_ARNS',
  'WHARF_REPOSITORY',
  'WHARF_BUILD_PROJECT',
  'WHARF_DOCKER_BUILD_PROJECT',
  'WHARF_SECRETS_PREFIX',
  'WHARF_SUBNETS',
  'WHARF_TASK_SECURITY_GROUP',
  'WHARF_EXECUTION_ROLE_ARN',
  'WHARF_TASK_ROLE_ARN',
  'WHARF_LOG_GROUP_PREFIX',
  'WHARF_VPC_ID',
];

describe('WharfPlatform: state and artifacts', () => {
  it('keeps state in an on-demand, encrypted table with PITR, TTL and gsi1', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('encrypts every bucket, blocks public access and refuses requests without TLS', () => {
    const buckets = t.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy')) as {
      Properties: { Bucket: { Ref: string }; PolicyDocument: { Statement: Record<string, unknown>[] } };
    }[];
    for (const [id, bucket] of Object.entries(buckets) as [
      string,
      { Properties: Record<string, unknown> },
    ][]) {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find((p) => p.Properties.Bucket.Ref === id);
      expect(policy, `bucket ${id} has a policy`).toBeDefined();
      expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('expires sources and caches in the artifacts bucket and logs its access', () => {
    const bucket = resourceProps(t, 'AWS::S3::Bucket', 'Artifacts');
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        expect.objectContaining({ Id: 'expire-sources', Prefix: 'sources/', ExpirationInDays: 30 }),
        expect.objectContaining({ Id: 'expire-caches', Prefix: 'cache/', ExpirationInDays: 30 }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    });
    expect(bucket.LoggingConfiguration).toMatchObject({ LogFilePrefix: 's3/artifacts/' });
    expect(resourceProps(t, 'AWS::S3::Bucket', 'LogBucket').LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 90 })]),
    });
  });

  it('keeps release images in ECR with scanning, immutable release tags and an untagged-image rule', () => {
    t.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'wharf/apps',
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      LifecyclePolicy: {
        LifecyclePolicyText: Match.stringLikeRegexp('"tagStatus":"untagged".*"countNumber":7'),
      },
    });
  });

  it('encrypts secrets with a rotating platform key and creates the webhook secret', () => {
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'wharf/webhooks/default',
      KmsKeyId: Match.anyValue(),
      GenerateSecretString: Match.objectLike({ PasswordLength: 40 }),
    });
  });
});

describe('WharfPlatform: compute and discovery', () => {
  it('runs apps on an ECS cluster with Fargate and Fargate Spot and Container Insights', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'wharf',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1, Base: 0 }],
    });
  });

  it('creates the wharf.internal private DNS namespace in the VPC', () => {
    t.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: 'wharf.internal',
      Vpc: { Ref: Match.stringLikeRegexp('Vpc') },
    });
  });

  it('gives tasks an execution role trusted only by ECS tasks of this account', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ],
      },
      Description: Match.stringLikeRegexp('task execution role'),
    });
  });

  it('builds with CodeBuild: buildpacks unprivileged with an S3 cache, Dockerfiles privileged', () => {
    const common = {
      Environment: Match.objectLike({ Type: 'ARM_CONTAINER', ComputeType: 'BUILD_GENERAL1_SMALL' }),
      SecondarySources: [Match.objectLike({ SourceIdentifier: 'runner', Type: 'S3' })],
      EncryptionKey: Match.anyValue(),
      LogsConfig: { CloudWatchLogs: Match.objectLike({ Status: 'ENABLED' }) },
      TimeoutInMinutes: 30,
    };
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      ...common,
      Name: 'wharf-buildpacks',
      Environment: Match.objectLike({ PrivilegedMode: false }),
      Cache: { Type: 'S3', Location: { 'Fn::Join': ['', [{ Ref: Match.anyValue() }, '/cache/codebuild']] } },
    });
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      ...common,
      Name: 'wharf-docker',
      Environment: Match.objectLike({ PrivilegedMode: true }),
      Cache: { Type: 'LOCAL', Modes: ['LOCAL_DOCKER_LAYER_CACHE'] },
    });
  });
});

describe('WharfPlatform: routing', () => {
  it('puts an internet-facing ALB with access logs and dropped invalid headers in front', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Name: 'wharf-alb-0',
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.prefix', Value: 'alb/wharf-alb-0' },
      ]),
    });
  });

  it('without a domain, answers HTTP with 404 until the control plane adds rules', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404' }),
        }),
      ],
    });
    t.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  it('with a domain and zone, serves HTTPS with a DNS-validated wildcard certificate and redirects HTTP', () => {
    const d = withDomain.template;
    d.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: '*.apps.example.com',
      SubjectAlternativeNames: ['apps.example.com'],
      ValidationMethod: 'DNS',
      DomainValidationOptions: Match.arrayWith([Match.objectLike({ HostedZoneId: 'Z123' })]),
    });
    d.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: Match.stringLikeRegexp('TLS13'),
      Certificates: [{ CertificateArn: { Ref: Match.anyValue() } }],
    });
    d.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        Match.objectLike({
          Type: 'redirect',
          RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', StatusCode: 'HTTP_301' }),
        }),
      ],
    });
    d.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: '*.apps.example.com.',
      Type: 'A',
      HostedZoneId: 'Z123',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  it('lets the load balancers reach tasks and nothing else', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
      DestinationSecurityGroupId: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Wharf (wharf) load balancers',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80 })],
    });
  });
});

describe('WharfPlatform: deploy timers shared with the control plane', () => {
  it('tunes target groups to 5 s x 2 health checks and a 10 s drain', () => {
    expect(TARGET_GROUP_DEFAULTS).toMatchObject({
      healthCheckIntervalSeconds: 5,
      healthCheckTimeoutSeconds: 4,
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
      deregistrationDelaySeconds: 10,
    });
    expect(TARGET_GROUP_DEFAULTS.healthCheckTimeoutSeconds).toBeLessThan(
      TARGET_GROUP_DEFAULTS.healthCheckIntervalSeconds,
    );
    expect(TARGET_GROUP_DEFAULTS.deregistrationDelaySeconds).toBeLessThanOrEqual(15);
    expect(targetGroupAttributes()).toContainEqual({
      Key: 'deregistration_delay.timeout_seconds',
      Value: '10',
    });
  });

  it('deploys ECS services with a rolling-back circuit breaker, 100 % min healthy, 200 % max', () => {
    expect(ECS_DEPLOYMENT).toEqual({
      circuitBreaker: { enable: true, rollback: true },
      minimumHealthyPercent: 100,
      maximumPercent: 200,
    });
  });
});

describe('WharfPlatform: control plane', () => {
  const functions = t.findResources('AWS::Lambda::Function');

  it('runs five arm64 Node.js 24 functions with the environment the control plane reads', () => {
    expect(Object.keys(functions)).toHaveLength(5);
    for (const name of ['api', 'webhook', 'build-events', 'task-events', 'stack-events']) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `wharf-${name}`,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: {
          Variables: Match.objectLike(Object.fromEntries(BRIEF_ENV.map((k) => [k, Match.anyValue()]))),
        },
        LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
      });
    }
  });

  it('keeps the environment under Lambda’s 4 KB limit with the most load balancers and a domain', () => {
    const big = synthPlatform({}, (stack) => ({
      loadBalancerCount: MAX_LOAD_BALANCERS,
      domain: 'apps.example.com',
      hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        zoneName: 'example.com',
      }),
    }));
    const resources = big.template.toJSON().Resources as Record<string, { Type: string }>;
    // Deployed lengths of what a reference resolves to (ARNs in a 12-digit account, us-east-1).
    const refLength: Record<string, number> = {
      'AWS::ElasticLoadBalancingV2::LoadBalancer': 100,
      'AWS::ElasticLoadBalancingV2::Listener': 120,
      'AWS::EC2::Subnet': 24,
      'AWS::EC2::SecurityGroup': 20,
      'AWS::EC2::VPC': 21,
      'AWS::CertificateManager::Certificate': 90,
    };
    const size = (v: unknown): number => {
      if (typeof v === 'string') return v.length;
      const o = v as Record<string, unknown>;
      if ('Ref' in o) return refLength[resources[o.Ref as string]?.Type ?? ''] ?? 100;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.reduce<number>((n, p) => n + size(p), 0) + sep.length * (parts.length - 1);
      }
      return 100;
    };
    const fn = Object.values(big.template.findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    const total = Object.entries(fn.Properties.Environment.Variables).reduce(
      (n, [k, v]) => n + k.length + size(v),
      0,
    );
    expect(total).toBeLessThan(4096);
  });

  it('sends events that the event handlers fail on to an encrypted dead-letter queue', () => {
    for (const name of ['build-events', 'task-events', 'stack-events']) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `wharf-${name}`,
        DeadLetterConfig: { TargetArn: Match.anyValue() },
      });
    }
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/wharf-api',
      RetentionInDays: 30,
    });
  });

  it('exposes the API with IAM auth, the webhook without, both throttled and logged', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', Name: 'wharf-api' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /{proxy+}',
      AuthorizationType: 'AWS_IAM',
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhooks/{proxy+}',
      AuthorizationType: 'NONE',
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      RouteSettings: { 'POST /webhooks/{proxy+}': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('routes CodeBuild, ECS task, ECS deployment and resource stack events to their handlers', () => {
    const target = [
      Match.objectLike({
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      }),
    ];
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codebuild'],
        'detail-type': ['CodeBuild Build State Change'],
        detail: { 'project-name': [{ Ref: Match.anyValue() }, { Ref: Match.anyValue() }] },
      },
      Targets: target,
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: Match.anyValue() },
      },
      Targets: target,
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['ECS Deployment State Change'] }),
      Targets: target,
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudformation'],
        'detail-type': ['CloudFormation Stack Status Change'],
        resources: [{ prefix: { 'Fn::Join': ['', Match.arrayWith([':stack/wharf-resource-'])] } }],
      },
      Targets: target,
    });
  });

  it('watches the platform: dashboard, alarms to an encrypted topic', () => {
    const body = JSON.stringify(resourceProps(t, 'AWS::CloudWatch::Dashboard', 'Dashboard').DashboardBody);
    for (const title of ['Builds', 'Deploys', 'Apps: 5xx', 'latency p95', 'Lambda errors'])
      expect(body).toContain(title);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 5 + 1 + 1 + 1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      AlarmActions: [{ Ref: Match.anyValue() }],
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('tags every taggable resource with wharf:platform', () => {
    const resources = t.toJSON().Resources as Record<
      string,
      { Type: string; Properties?: { Tags?: unknown } }
    >;
    const tagged = [
      'AWS::DynamoDB::Table',
      'AWS::S3::Bucket',
      'AWS::ECS::Cluster',
      'AWS::Lambda::Function',
      'AWS::EC2::VPC',
    ];
    for (const [id, r] of Object.entries(resources)) {
      if (!Array.isArray(r.Properties?.Tags)) {
        expect(tagged, `${id} (${r.Type}) carries tags`).not.toContain(r.Type);
        continue;
      }
      expect(r.Properties.Tags, id).toContainEqual({ Key: 'wharf:platform', Value: 'wharf' });
    }
  });
});
