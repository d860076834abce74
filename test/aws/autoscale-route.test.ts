/**
 * `wharf autoscale` end to end minus AWS: the CLI command and the API client against a
 * real HTTP server on 127.0.0.1 that runs the AWS-only route, with the SDK clients mocked.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WharfClient } from '../../api/client.ts';
import { STATUS_BY_CODE } from '../../api/errors.ts';
import { parseArgs } from '../../cli/args.ts';
import { autoscale } from '../../cli/commands/autoscale.ts';
import { makeOut } from '../../cli/output.ts';
import { ControlPlane } from '../../core/control-plane.ts';
import { ValidationError, isWharfError } from '../../core/errors.ts';
import type { AwsPlatform } from '../../functions/lib/aws-platform.ts';
import { awsRoutes } from '../../functions/lib/aws-routes.ts';
import { fakeDeps } from '../core/fakes.ts';

const aas = mockClient(ApplicationAutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const LB = 'arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/wharf-2/aaaa';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/wharf-shop-web/bbbb';

const controlPlane = new ControlPlane(fakeDeps().deps, { holder: 'test' });
const platform = {
  config: { region: 'eu-west-1', cluster: 'wharf' },
  controlPlane,
  store: { getApp: async (name: string) => (name === 'shop' ? { name } : null) },
  ecs: {
    describeService: async (_app: string, type: string) =>
      type === 'web' || type === 'worker' ? { status: 'ACTIVE' } : null,
  },
  router: { targetGroupArns: async (_app: string, type: string) => (type === 'web' ? [TG] : []) },
} as unknown as AwsPlatform;

let server: Server;
let url = '';
beforeAll(async () => {
  await controlPlane.createApp({ name: 'shop' });
  const routes = awsRoutes(platform, () => '1');
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url!, 'http://x').pathname;
    const route = routes.find(([method, pattern]) => method === req.method && pattern.test(path));
    let status = 404;
    let body: unknown = { error: { code: 'not_found', message: 'no route' } };
    if (route) {
      try {
        const out = await route[2](route[1].exec(path)!, {
          method: req.method!,
          path,
          query: new URLSearchParams(),
          body: text ? JSON.parse(text) : undefined,
        });
        ({ status, body } = out);
      } catch (e) {
        const code = isWharfError(e) ? e.code : 'internal';
        status = STATUS_BY_CODE[code];
        body = { error: { code, message: (e as Error).message } };
      }
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  aas.restore();
  elb.restore();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  aas.reset();
  elb.reset();
  aas.on(RegisterScalableTargetCommand).resolves({});
  aas.on(PutScalingPolicyCommand).resolves({});
  aas.on(DeregisterScalableTargetCommand).resolves({});
  elb
    .on(DescribeTargetGroupsCommand)
    .resolves({ TargetGroups: [{ TargetGroupArn: TG, LoadBalancerArns: [LB] }] });
});

const SPEC = {
  values: [['app', 'a'], ['min'], ['max'], ['cpu'], ['requests']],
  booleans: [['off'], ['json']],
};

async function wharf(...argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const sink = {
    write: (s: string) => {
      stdout += s;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const args = parseArgs(argv, SPEC);
  const code = await autoscale.run({
    args,
    out: makeOut(args.flags.has('json'), sink, sink),
    env: {},
    client: () => new WharfClient({ url }),
    app: () => 'shop',
  });
  return { code, stdout };
}

describe('wharf autoscale', () => {
  it('sets a CPU policy on a worker', async () => {
    const r = await wharf('worker', '--min', '1', '--max', '6', '--cpu', '70');
    expect(r).toEqual({ code: 0, stdout: 'worker scales from 1 to 6 instances to hold 70 % CPU\n' });
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toMatchObject({
      ResourceId: 'service/wharf/wharf-shop_worker',
      MinCapacity: 1,
      MaxCapacity: 6,
    });
    expect(elb.calls()).toHaveLength(0);
    // recorded in the formation: the count starts inside the range, and scale refuses the type
    const formation = await controlPlane.getFormation('shop');
    expect(formation.autoscaling?.['worker']).toEqual({ min: 1, max: 6, target: { cpu: 70 } });
    expect(formation.processes['worker']).toBe(1);
    await expect(controlPlane.scale('shop', { worker: 3 })).rejects.toThrow(
      /worker of shop is autoscaled between 1 and 6 instances: .*wharf autoscale worker --off/,
    );
  });

  it('tracks requests per target on web through the ALB its target group is on', async () => {
    const r = await wharf('web', '--min', '2', '--max', '30', '--requests', '500', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      app: 'shop',
      processType: 'web',
      autoscaling: { min: 2, max: 30, target: { requestsPerTarget: 500 } },
      formation: { processes: { web: 2 } },
    });
    const put = aas.commandCalls(PutScalingPolicyCommand)[0]!.args[0].input;
    expect(put.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification).toEqual({
      PredefinedMetricType: 'ALBRequestCountPerTarget',
      ResourceLabel: 'app/wharf-2/aaaa/targetgroup/wharf-shop-web/bbbb',
    });
  });

  it('removes the policy with --off', async () => {
    const r = await wharf('web', '--off');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/autoscaling of web removed/);
    expect(aas.commandCalls(DeregisterScalableTargetCommand)).toHaveLength(1);
    // the count stays where autoscaling left it, and is the user's to scale again
    expect((await controlPlane.getFormation('shop')).autoscaling?.['web']).toBeUndefined();
    expect((await controlPlane.scale('shop', { web: 4 })).processes['web']).toBe(4);
  });

  it('refuses bad flags before any request', async () => {
    await expect(wharf('web', '--min', '1', '--max', '3')).rejects.toThrow(
      /--cpu PERCENT .* or --requests N/,
    );
    await expect(wharf('web', '--min', '1', '--max', '3', '--cpu', '5', '--requests', '9')).rejects.toThrow(
      ValidationError,
    );
    await expect(wharf('web', '--off', '--min', '1')).rejects.toThrow(/drop --min/);
    await expect(wharf('web', '--max', '3', '--cpu', '50')).rejects.toThrow(/--min N --max N/);
    await expect(wharf('--min', '1', '--max', '3', '--cpu', '50')).rejects.toThrow(/one process type/);
    expect(aas.calls()).toHaveLength(0);
  });

  it('relays the server-side checks as validation and not-found errors', async () => {
    const client = new WharfClient({ url });
    await expect(wharf('web', '--min', '5', '--max', '3', '--cpu', '50')).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringMatching(/min.*must not exceed max/),
    });
    await expect(wharf('worker', '--min', '1', '--max', '3', '--requests', '50')).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringMatching(/routed \(web\) types only/),
    });
    await expect(client.setAutoscaling('shop', 'clock', null)).rejects.toMatchObject({ code: 'not_found' });
    await expect(client.setAutoscaling('nope', 'web', null)).rejects.toMatchObject({ code: 'not_found' });
    await expect(client.request('PUT', '/apps/shop/autoscaling/web')).rejects.toMatchObject({
      code: 'validation_error',
    });
    expect(aas.calls()).toHaveLength(0);
  });
});
