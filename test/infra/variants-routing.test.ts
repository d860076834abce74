import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type Synthesized, synthPlatform, synthReadyStack } from './helpers.ts';

const CERT = 'arn:aws:acm:us-east-1:111122223333:certificate/abc';
const variants: Record<string, Synthesized> = {
  'domain with a hosted zone': synthPlatform({}, (stack) => ({
    domain: 'apps.example.com',
    hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    }),
  })),
  'domain without a hosted zone': synthPlatform({ domain: 'apps.example.com' }),
  'domain with an existing certificate': synthPlatform({}, (stack) => ({
    domain: 'apps.example.com',
    certificate: Certificate.fromCertificateArn(stack, 'Cert', CERT),
  })),
  'x86, two load balancers, tracing, no Container Insights, pinned region': synthPlatform(
    { architecture: 'x86_64', loadBalancerCount: 2, tracing: true, containerInsights: false },
    undefined,
    { env: { region: 'eu-west-1' } },
  ),
  'ready stack from context: existing VPC, domain, zone': synthReadyStack({
    'wharf:vpcId': 'vpc-0abc',
    'wharf:publicSubnetIds': ['subnet-a', 'subnet-b'],
    'wharf:privateSubnetIds': 'subnet-c,subnet-d',
    'wharf:availabilityZones': 'us-east-1a,us-east-1b',
    'wharf:domain': 'apps.example.com',
    'wharf:hostedZoneId': 'Z123',
    'wharf:hostedZoneName': 'example.com',
    'wharf:logRetentionDays': '90',
    'wharf:azCount': undefined,
  }),
  'ready stack with no context': synthReadyStack({}),
};

describe('routing and ready-stack variants', () => {
  for (const [name, s] of Object.entries(variants)) {
    it(`${name}: synthesizes with no unacknowledged cdk-nag AwsSolutions finding`, () => {
      expect(s.nag.filter((v) => v.severity === 'error')).toEqual([]);
      expect(s.nag).toEqual([]);
    });
  }

  it('without a zone the certificate is still DNS-validated (records added by hand) and no record is made', () => {
    const t = variants['domain without a hosted zone']!.template;
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: '*.apps.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: Match.absent(),
    });
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  it('an existing certificate is used as is', () => {
    const t = variants['domain with an existing certificate']!.template;
    t.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: CERT }],
    });
  });

  it('x86 builds on x86 images; shards get their own ALB and alarm; tracing is on', () => {
    const t = variants['x86, two load balancers, tracing, no Container Insights, pinned region']!.template;
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({ Type: 'LINUX_CONTAINER' }),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Name: 'wharf-alb-1' });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    t.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }],
    });
  });

  it('the ready stack reads VPC, subnets, domain, zone and retention from context', () => {
    const t = variants['ready stack from context: existing VPC, domain, zone']!.template;
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Subnets: ['subnet-a', 'subnet-b'],
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: '*.apps.example.com.', HostedZoneId: 'Z123' });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/wharf/builds', RetentionInDays: 90 });
    t.hasOutput('ApiUrl', {});
    t.hasOutput('OperatorPolicyArn', {});
  });

  it('the ready stack with no context creates its own VPC and needs no account', () => {
    const s = variants['ready stack with no context']!;
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(s.stack.resolve(s.stack.account)).toEqual({ Ref: 'AWS::AccountId' });
  });
});
