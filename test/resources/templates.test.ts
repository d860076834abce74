/** The resource templates: what matters in each, and cdk-nag (AwsSolutions) clean. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { ResourceProvider } from '../../core/domain.ts';
import {
  MAX_TEMPLATE_BODY_BYTES,
  resourceTemplateStack,
  TEMPLATE_PROVIDERS,
} from '../../infra/resources/templates.ts';

function synth(provider: ResourceProvider) {
  const app = new App();
  const stack = resourceTemplateStack(app, provider);
  const violations = new AwsSolutionsChecks()
    .validateScope(app)
    .violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(' ')}`);
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as Record<string, unknown>, violations };
}

const templates = new Map(TEMPLATE_PROVIDERS.map((p) => [p, synth(p)]));
const get = (p: ResourceProvider) => templates.get(p)!;

const ONLY_FROM_APP_SG = (port: number) => ({
  SecurityGroupIngress: [
    Match.objectLike({
      IpProtocol: 'tcp',
      FromPort: port,
      SourceSecurityGroupId: { Ref: 'AppSecurityGroupId' },
    }),
  ],
  SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
});

describe('resource templates', () => {
  it.each(TEMPLATE_PROVIDERS)(
    '%s: cdk-nag clean, plain CloudFormation small enough for TemplateBody',
    (provider) => {
      const { json, violations } = get(provider);
      expect(violations).toEqual([]);
      expect(JSON.stringify(json).length).toBeLessThan(MAX_TEMPLATE_BODY_BYTES);
      expect(json['Parameters']).not.toHaveProperty('BootstrapVersion');
      expect(json['Transform']).toBe('AWS::LanguageExtensions');
      expect(json['Parameters']).toMatchObject({
        AppName: {},
        ResourceName: {},
        KeepDataOnDelete: { Default: 'true' },
      });
    },
  );

  it.each(['postgres', 'postgis', 'mysql'] as const)(
    '%s: Aurora Serverless v2 scaling to zero, encrypted, snapshot on delete, only the app SG',
    (provider) => {
      const { template } = get(provider);
      template.hasResource('AWS::RDS::DBCluster', {
        DeletionPolicy: { 'Fn::If': ['KeepData', 'Snapshot', 'Delete'] },
        UpdateReplacePolicy: 'Snapshot',
        Properties: Match.objectLike({
          Engine: provider === 'mysql' ? 'aurora-mysql' : 'aurora-postgresql',
          StorageEncrypted: true,
          ServerlessV2ScalingConfiguration: {
            MinCapacity: 0,
            MaxCapacity: { Ref: 'MaxCapacityAcu' },
            SecondsUntilAutoPause: 300,
          },
          EnableHttpEndpoint: true,
        }),
      });
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        DBInstanceClass: 'db.serverless',
        PubliclyAccessible: false,
      });
      template.hasResourceProperties(
        'AWS::EC2::SecurityGroup',
        ONLY_FROM_APP_SG(provider === 'mysql' ? 3306 : 5432),
      );
      template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
      // credentials generated in Secrets Manager; the connection secret readable by the execution role only
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }),
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: 'TaskExecutionRoleName' }],
        PolicyDocument: Match.objectLike({
          Statement: [
            Match.objectLike({
              Action: 'secretsmanager:GetSecretValue',
              Resource: { Ref: Match.stringLikeRegexp('^Connection') },
            }),
          ],
        }),
      });
      const outputs = Object.keys(template.toJSON()['Outputs']);
      expect(outputs).toEqual(
        expect.arrayContaining(['Host', 'Port', 'Database', 'Username', 'ConnectionSecretArn']),
      );
    },
  );

  it('postgis: enables the extension through the Data API once the writer exists', () => {
    const { template } = get('postgis');
    template.hasResource('Custom::PostgisExtension', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^Writer')]),
      Properties: Match.objectLike({
        Database: 'app',
        ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'DBClusterArn'] },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: Match.stringLikeRegexp('CREATE EXTENSION IF NOT EXISTS postgis') },
    });
    get('postgres').template.resourceCountIs('Custom::PostgisExtension', 0);
  });

  it('redis: ElastiCache Serverless Valkey in the app SG only, final snapshot unless told otherwise', () => {
    const { template } = get('redis');
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SecurityGroup'), 'GroupId'] }],
      SubnetIds: { Ref: 'SubnetIds' },
      FinalSnapshotName: { 'Fn::If': ['KeepData', Match.anyValue(), { Ref: 'AWS::NoValue' }] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', ONLY_FROM_APP_SG(6379));
    template.hasOutput('RedisUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['rediss://'])] } });
  });

  it('document: an encrypted on-demand table with PITR, kept on delete unless told otherwise', () => {
    const { template } = get('document');
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: { 'Fn::If': ['KeepData', 'Retain', 'Delete'] },
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: 'AppTaskRoleName' }] });
  });

  it('blob: a private encrypted TLS-only bucket, kept on delete unless told otherwise', () => {
    const { template } = get('blob');
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: { 'Fn::If': ['KeepData', 'Retain', 'Delete'] },
      Properties: Match.objectLike({
        BucketEncryption: Match.objectLike({}),
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });
});
