import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type Synthesized, synthPlatform } from './helpers.ts';

function envOf(s: Synthesized): Record<string, unknown> {
  const fn = Object.values(s.template.findResources('AWS::Lambda::Function'))[0] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return fn.Properties.Environment.Variables;
}

const variants: Record<string, Synthesized> = {
  'new VPC, 2 AZs, one NAT gateway (default)': synthPlatform(),
  'new VPC, 3 AZs, a NAT gateway per AZ': synthPlatform({ azCount: 3, natMode: 'gateway-per-az' }),
  'new VPC without NAT (public subnets)': synthPlatform({ natMode: 'none' }),
  'new VPC with VPC endpoints instead of NAT': synthPlatform({ natMode: 'endpoints' }),
  'existing VPC': synthPlatform({}, (stack) => ({
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Existing', {
      vpcId: 'vpc-0abc',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetIds: ['subnet-pub-a', 'subnet-pub-b'],
      privateSubnetIds: ['subnet-prv-a', 'subnet-prv-b'],
    }),
  })),
};

describe('network variants', () => {
  for (const [name, s] of Object.entries(variants)) {
    it(`${name}: synthesizes with no unacknowledged cdk-nag AwsSolutions finding`, () => {
      expect(s.nag.filter((v) => v.severity === 'error')).toEqual([]);
      // Warnings fail `cdk synth` too (the validation plugin reports any finding).
      expect(s.nag).toEqual([]);
      s.template.resourceCountIs('AWS::ECS::Cluster', 1);
    });
  }

  it('default: 2 public and 2 private subnets, 1 NAT gateway, flow logs and an S3 gateway endpoint', () => {
    const t = variants['new VPC, 2 AZs, one NAT gateway (default)']!.template;
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    t.resourceCountIs('AWS::EC2::Subnet', 4);
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    expect(envOf(variants['new VPC, 2 AZs, one NAT gateway (default)']!).WHARF_ASSIGN_PUBLIC_IP).toBe(
      'DISABLED',
    );
  });

  it('3 AZs: 6 subnets, the third AZ picked at deploy time, 3 NAT gateways', () => {
    const t = variants['new VPC, 3 AZs, a NAT gateway per AZ']!.template;
    t.resourceCountIs('AWS::EC2::Subnet', 6);
    t.resourceCountIs('AWS::EC2::NatGateway', 3);
    t.hasResourceProperties('AWS::EC2::Subnet', {
      AvailabilityZone: { 'Fn::Select': [2, { 'Fn::GetAZs': '' }] },
    });
  });

  it('no NAT: public subnets only, tasks there with public IPs', () => {
    const s = variants['new VPC without NAT (public subnets)']!;
    s.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.template.resourceCountIs('AWS::EC2::Subnet', 2);
    expect(envOf(s).WHARF_ASSIGN_PUBLIC_IP).toBe('ENABLED');
  });

  it('endpoints: isolated task subnets with ECR, logs and Secrets Manager endpoints, no NAT', () => {
    const t = variants['new VPC with VPC endpoints instead of NAT']!.template;
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 5);
    for (const service of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager']) {
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: { 'Fn::Join': ['', Match.arrayWith([`.${service}`])] },
      });
    }
  });

  it('existing VPC: no VPC created; the ALB in its public subnets, tasks in its private ones', () => {
    const s = variants['existing VPC']!;
    s.template.resourceCountIs('AWS::EC2::VPC', 0);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Subnets: ['subnet-pub-a', 'subnet-pub-b'],
    });
    expect(envOf(s)).toMatchObject({
      WHARF_VPC_ID: 'vpc-0abc',
      WHARF_SUBNETS: 'subnet-prv-a,subnet-prv-b',
      WHARF_ASSIGN_PUBLIC_IP: 'DISABLED',
    });
  });
});
