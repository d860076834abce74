import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EcsAutoscaling, albResourceLabel, loadBalancingOf } from '../../adapters/aws/ecs-autoscaling.ts';
import { ValidationError, WharfError } from '../../core/errors.ts';

const aas = mockClient(ApplicationAutoScalingClient);
afterAll(() => aas.restore());
const waits: number[] = [];

const autoscaling = () =>
  new EcsAutoscaling({
    client: new ApplicationAutoScalingClient({ region: 'eu-west-1' }),
    cluster: 'wharf',
    backoff: { sleep: async (ms) => void waits.push(ms), random: () => 0 },
  });

const LB = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/wharf-1/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/wharf-shop-web/943f017f100becff';
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('EcsAutoscaling', () => {
  beforeEach(() => {
    aas.reset();
    waits.length = 0;
  });

  it('registers the service as a scalable target and tracks average CPU', async () => {
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:policy', Alarms: [] });
    await autoscaling().apply('shop', 'worker', 'wharf-shop_worker', {
      min: 1,
      max: 8,
      target: { cpu: 60 },
    });
    expect(aas.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([
      {
        ServiceNamespace: 'ecs',
        ResourceId: 'service/wharf/wharf-shop_worker',
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 1,
        MaxCapacity: 8,
      },
    ]);
    expect(aas.commandCalls(PutScalingPolicyCommand).map((c) => c.args[0].input)).toEqual([
      {
        PolicyName: 'wharf-shop-worker-target-tracking',
        ServiceNamespace: 'ecs',
        ResourceId: 'service/wharf/wharf-shop_worker',
        ScalableDimension: 'ecs:service:DesiredCount',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 60,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          ScaleOutCooldown: 60,
          ScaleInCooldown: 300,
        },
      },
    ]);
    expect(aas.calls()).toHaveLength(2);
  });

  it('tracks ALB requests per target with the label built from the ARNs', async () => {
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:policy' });
    await autoscaling().apply(
      'shop',
      'web',
      'wharf-shop_web',
      { min: 2, max: 20, target: { requestsPerTarget: 500 } },
      { loadBalancerArn: LB, targetGroupArn: TG },
    );
    const put = aas.commandCalls(PutScalingPolicyCommand)[0]!.args[0].input;
    expect(put.TargetTrackingScalingPolicyConfiguration).toEqual({
      TargetValue: 500,
      PredefinedMetricSpecification: {
        PredefinedMetricType: 'ALBRequestCountPerTarget',
        ResourceLabel: 'app/wharf-1/50dc6c495c0c9188/targetgroup/wharf-shop-web/943f017f100becff',
      },
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    });
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toMatchObject({
      MinCapacity: 2,
      MaxCapacity: 20,
    });
  });

  it('refuses requests per target without a load balancer and sends nothing', async () => {
    const err = await autoscaling()
      .apply('shop', 'worker', 'wharf-shop_worker', { min: 1, max: 2, target: { requestsPerTarget: 100 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/--cpu/);
    expect(aas.calls()).toHaveLength(0);
  });

  it('rejects ARNs that are not an ALB and a target group', () => {
    expect(() => albResourceLabel({ loadBalancerArn: TG, targetGroupArn: TG })).toThrow(/loadbalancer\/app/);
    expect(() => albResourceLabel({ loadBalancerArn: LB, targetGroupArn: LB })).toThrow(/targetgroup/);
  });

  it('removes autoscaling by deregistering the scalable target', async () => {
    aas.on(DeregisterScalableTargetCommand).resolves({});
    await autoscaling().apply('shop', 'web', 'wharf-shop_web', null);
    expect(aas.commandCalls(DeregisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([
      {
        ServiceNamespace: 'ecs',
        ResourceId: 'service/wharf/wharf-shop_web',
        ScalableDimension: 'ecs:service:DesiredCount',
      },
    ]);
    expect(aas.calls()).toHaveLength(1);
  });

  it('treats removing autoscaling that is not there as done', async () => {
    aas
      .on(DeregisterScalableTargetCommand)
      .rejects(new ObjectNotFoundException({ message: 'No scalable target registered', $metadata: {} }));
    await expect(autoscaling().apply('shop', 'web', 'wharf-shop_web', null)).resolves.toBeUndefined();
  });

  it('retries throttled calls with growing waits, then succeeds', async () => {
    aas.on(RegisterScalableTargetCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    aas.on(PutScalingPolicyCommand).rejectsOnce(throttled()).resolves({});
    await autoscaling().apply('shop', 'web', 'wharf-shop_web', { min: 0, max: 3, target: { cpu: 75 } });
    expect(aas.commandCalls(RegisterScalableTargetCommand)).toHaveLength(3);
    expect(aas.commandCalls(PutScalingPolicyCommand)).toHaveLength(2);
    expect(waits).toEqual([50, 100, 50]);
  });

  it('retries a throttled removal', async () => {
    aas.on(DeregisterScalableTargetCommand).rejectsOnce(throttled()).resolves({});
    await autoscaling().apply('shop', 'web', 'wharf-shop_web', null);
    expect(aas.commandCalls(DeregisterScalableTargetCommand)).toHaveLength(2);
  });

  it('maps a lasting throttle to unavailable and other failures to API codes', async () => {
    aas.on(RegisterScalableTargetCommand).rejects(throttled());
    const err = await autoscaling()
      .apply('shop', 'web', 'wharf-shop_web', { min: 0, max: 3, target: { cpu: 75 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('unavailable');
    expect(aas.commandCalls(RegisterScalableTargetCommand)).toHaveLength(6);
    expect(aas.commandCalls(PutScalingPolicyCommand)).toHaveLength(0);

    aas.reset();
    aas
      .on(RegisterScalableTargetCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const denied = await autoscaling()
      .apply('shop', 'web', 'wharf-shop_web', { min: 0, max: 3, target: { cpu: 75 } })
      .catch((e: unknown) => e);
    expect((denied as WharfError).code).toBe('forbidden');
  });
});

describe('loadBalancingOf', () => {
  const elb = mockClient(ElasticLoadBalancingV2Client);
  afterAll(() => elb.restore());

  it('finds the ALB a target group is attached to, after a throttle', async () => {
    elb.reset();
    elb
      .on(DescribeTargetGroupsCommand)
      .rejectsOnce(throttled())
      .resolves({ TargetGroups: [{ TargetGroupArn: TG, LoadBalancerArns: [LB] }] });
    const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
    const backoff = { sleep: async () => {}, random: () => 0 };
    expect(await loadBalancingOf(client, TG, backoff)).toEqual({ loadBalancerArn: LB, targetGroupArn: TG });
    expect(elb.commandCalls(DescribeTargetGroupsCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArns: [TG] },
      { TargetGroupArns: [TG] },
    ]);
  });

  it('is null for a target group on no load balancer yet', async () => {
    elb.reset();
    elb
      .on(DescribeTargetGroupsCommand)
      .resolves({ TargetGroups: [{ TargetGroupArn: TG, LoadBalancerArns: [] }] });
    const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
    expect(await loadBalancingOf(client, TG)).toBeNull();
  });
});
