import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import { WharfConfigError } from '../../infra/errors.ts';
import { WharfPlatform } from '../../infra/platform.ts';
import type { WharfPlatformProps } from '../../infra/props.ts';
import { WharfStack } from '../../infra/stack.ts';
import { FIXTURE_PROPS, testApp } from './helpers.ts';

function build(props: (stack: Stack) => WharfPlatformProps): () => void {
  return () => {
    const stack = new Stack(new App(), 'S');
    new WharfPlatform(stack, 'Wharf', { ...FIXTURE_PROPS, ...props(stack) });
  };
}

function readyStack(
  context: Record<string, unknown>,
  env?: { account?: string; region?: string },
): () => void {
  return () =>
    new WharfStack(testApp(context), 'Wharf', { platform: FIXTURE_PROPS, ...(env ? { env } : {}) });
}

const existingVpc = (stack: Stack) =>
  ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    publicSubnetIds: ['subnet-a', 'subnet-b'],
  });

describe('invalid settings are refused at synth, naming the prop and the fix', () => {
  const cases: [string, () => void, RegExp][] = [
    [
      'a name ELB would refuse for the load balancers',
      build(() => ({ name: 'internal' })),
      /^name .*'internal-alb-0'.*starting with 'internal-'/,
    ],
    [
      'azCount out of range',
      build(() => ({ azCount: 4 })),
      /^azCount \(context wharf:azCount\): 4 AZs .* use 2 or 3/,
    ],
    [
      'natMode with an existing VPC',
      build((s) => ({ vpc: existingVpc(s), natMode: 'none' })),
      /^natMode \(context wharf:natMode\): applies only to a new VPC.*remove natMode/,
    ],
    [
      'azCount with an existing VPC',
      build((s) => ({ vpc: existingVpc(s), azCount: 3 })),
      /^azCount .*only to a new VPC/,
    ],
    [
      'taskSubnets without a VPC',
      build(() => ({ taskSubnets: { subnetType: ec2.SubnetType.PUBLIC } })),
      /^taskSubnets .*applies only to an existing vpc/,
    ],
    [
      'unknown natMode',
      build(() => ({ natMode: 'cheap' as never })),
      /^natMode .*'cheap' is unknown: use one of/,
    ],
    [
      'unknown architecture',
      build(() => ({ architecture: 'riscv' as never })),
      /^architecture .*use one of arm64, x86_64/,
    ],
    [
      'hosted zone without a domain',
      build((s) => ({
        hostedZone: HostedZone.fromHostedZoneAttributes(s, 'Z', {
          hostedZoneId: 'Z1',
          zoneName: 'example.com',
        }),
      })),
      /^hostedZone \(context wharf:hostedZoneId\): requires domain \(context wharf:domain\)/,
    ],
    [
      'a domain outside the hosted zone',
      build((s) => ({
        domain: 'apps.example.org',
        hostedZone: HostedZone.fromHostedZoneAttributes(s, 'Z', {
          hostedZoneId: 'Z1',
          zoneName: 'example.com',
        }),
      })),
      /^hostedZone .*zone 'example.com' does not contain domain 'apps.example.org'/,
    ],
    ['a wildcard domain', build(() => ({ domain: '*.example.com' })), /^domain .*without '\*\.'/],
    [
      'a bad name',
      build(() => ({ name: 'Wharf_Prod' })),
      /^name \(context wharf:name\): 'Wharf_Prod' is not usable/,
    ],
    ['too many load balancers', build(() => ({ loadBalancerCount: 5 })), /^loadBalancerCount .*1 to 4/],
    ['a bad CIDR', build(() => ({ vpcCidr: '10.0.0.0/8' })), /^vpcCidr .*between \/16 and \/24/],
    [
      'a short build timeout',
      build(() => ({ buildTimeout: Duration.minutes(1) })),
      /^buildTimeout: 1 minutes is out of range/,
    ],
    [
      'a VPC without public subnets',
      build((s) => ({
        vpc: ec2.Vpc.fromVpcAttributes(s, 'V', {
          vpcId: 'vpc-1',
          availabilityZones: ['a'],
          privateSubnetIds: ['subnet-p'],
        }),
      })),
      /^vpc \(context wharf:publicSubnetIds\): the VPC has no public subnets/,
    ],
    [
      'a missing functions folder',
      build(() => ({ functionsDirectory: '/nonexistent' })),
      /^functionsDirectory: \/nonexistent\/api.ts does not exist/,
    ],
    [
      'context: an unknown wharf: key',
      readyStack({ 'wharf:natmode': 'none' }),
      /^context wharf:natmode: unknown key/,
    ],
    [
      'context: a non-number azCount',
      readyStack({ 'wharf:azCount': 'three' }),
      /^context wharf:azCount: "three" is not a whole number/,
    ],
    [
      'context: a retention CloudWatch does not offer',
      readyStack({ 'wharf:logRetentionDays': 10 }),
      /^logRetention \(context wharf:logRetentionDays\): 10 is not a CloudWatch Logs retention/,
    ],
    [
      'context: a VPC id without subnets and no account',
      readyStack({ 'wharf:vpcId': 'vpc-1' }),
      /^vpc \(context wharf:vpcId\): an existing VPC needs its subnets: give wharf:publicSubnetIds/,
    ],
    [
      'context: subnets without their AZs',
      readyStack({ 'wharf:vpcId': 'vpc-1', 'wharf:publicSubnetIds': 'subnet-a,subnet-b' }),
      /^context wharf:availabilityZones: is required with wharf:publicSubnetIds/,
    ],
    [
      'context: subnets without a VPC id',
      readyStack({ 'wharf:publicSubnetIds': 'subnet-a' }),
      /^context wharf:publicSubnetIds: describes an existing VPC but wharf:vpcId is not set/,
    ],
    [
      'context: a hosted zone without a domain',
      readyStack({ 'wharf:hostedZoneId': 'Z1' }),
      /^hostedZone \(context wharf:hostedZoneId\): requires domain/,
    ],
    [
      'context: tracing not a boolean',
      readyStack({ 'wharf:tracing': 'yes' }),
      /^context wharf:tracing: "yes" is not true or false/,
    ],
  ];

  for (const [what, act, message] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        act();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WharfConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).name).toBe('WharfConfigError');
    });
  }
});
