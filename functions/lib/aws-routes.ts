/**
 * The API routes only AWS has: source uploads for `wharf deploy`, one-off runs as ECS
 * tasks (followed by the CLI), the log group for Live Tail, the webhook secret, and
 * target-tracking autoscaling of a process type's ECS service.
 * Everything else is the shared API (api/handler.ts).
 */
import { randomBytes } from 'node:crypto';
import type { ApiRequest, ApiResponse } from '../../api/handler.ts';
import type { EcsAutoscaling, LoadBalancing } from '../../adapters/aws/ecs-autoscaling.ts';
import { ecsName } from '../../adapters/aws/ecs-names.ts';
import { parseAutoscalingConfig, requiresLoadBalancer } from '../../core/autoscaling.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { validateProcessType } from '../../core/validation.ts';
import { logGroupName } from '../../adapters/aws/log-streams.ts';
import type { AwsPlatform } from './aws-platform.ts';
import { appSecretName } from '../../core/secret-names.ts';

type Route = readonly [
  method: string,
  pattern: RegExp,
  run: (m: RegExpExecArray, req: ApiRequest) => Promise<ApiResponse>,
];

function body(req: ApiRequest): Record<string, unknown> {
  return typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body)
    ? (req.body as Record<string, unknown>)
    : {};
}

interface AutoscalingTools {
  readonly autoscaling: EcsAutoscaling;
  readonly loadBalancingOf: (targetGroupArn: string) => Promise<LoadBalancing | null>;
}

// Loaded on first use, like the adapters in ./lazy/: only `wharf autoscale` pays for these clients.
let autoscalingTools: Promise<AutoscalingTools> | null = null;
function loadAutoscaling(region: string, cluster: string, namePrefix: string): Promise<AutoscalingTools> {
  autoscalingTools ??= (async () => {
    const [{ ApplicationAutoScalingClient }, { ElasticLoadBalancingV2Client }, adapter] = await Promise.all([
      import('@aws-sdk/client-application-auto-scaling'),
      import('@aws-sdk/client-elastic-load-balancing-v2'),
      import('../../adapters/aws/ecs-autoscaling.ts'),
    ]);
    const elb = new ElasticLoadBalancingV2Client({ region });
    return {
      autoscaling: new adapter.EcsAutoscaling({
        client: new ApplicationAutoScalingClient({ region }),
        cluster,
        namePrefix,
      }),
      loadBalancingOf: (arn) => adapter.loadBalancingOf(elb, arn),
    };
  })();
  return autoscalingTools;
}

export function awsRoutes(p: AwsPlatform, accountId: () => string | null): readonly Route[] {
  const requireApp = async (name: string) => {
    if (!(await p.store.getApp(name))) throw new NotFoundError(`app "${name}" not found: see \`wharf apps\``);
    return name;
  };
  return [
    [
      'POST',
      /^\/apps\/([^/]+)\/sources$/,
      async (m) => {
        const app = await requireApp(m[1]!);
        const upload = await p.artifacts.presignSourceUpload(app, randomBytes(8).toString('hex'));
        return { status: 201, body: upload };
      },
    ],
    [
      'POST',
      /^\/apps\/([^/]+)\/sources\/([a-f0-9]{16})\/deploy$/,
      async (m, req) => {
        const app = await requireApp(m[1]!);
        const version = body(req)['version'];
        const result = await p.controlPlane.push(app, {
          source: { kind: 'tar', path: `s3://${p.config.bucket}/sources/${app}/${m[2]}.tar.gz` },
          sourceVersion: typeof version === 'string' && version ? version : `upload-${m[2]}`,
          output: () => {},
        });
        return { status: 202, body: { build: result.build } };
      },
    ],
    [
      'POST',
      /^\/apps\/([^/]+)\/runs$/,
      async (m, req) => {
        const app = await requireApp(m[1]!);
        const command = body(req)['command'];
        if (typeof command !== 'string' || !command.trim()) {
          throw new ValidationError('give a command to run, e.g. `wharf run -- node -v`');
        }
        const release = await p.controlPlane.getRelease(app);
        const artifact = release.artifactId ? await p.store.getArtifact(release.artifactId) : null;
        if (!artifact) throw new ValidationError(`${app} has no build yet: push code before \`wharf run\``);
        const taskArn = await p.ecs.runTask({
          app,
          processType: 'run',
          releaseVersion: release.version,
          command,
          env: {
            ...artifact.configDefaults,
            ...release.env,
            WHARF_APP: app,
            WHARF_RELEASE: `v${release.version}`,
          },
          artifactUri: artifact.uri,
          oneOff: true,
        });
        const taskId = taskArn.split('/').pop()!;
        return { status: 201, body: { taskId, logs: { source: 'run', instance: taskId } } };
      },
    ],
    [
      'GET',
      /^\/apps\/([^/]+)\/runs\/([A-Za-z0-9-]+)$/,
      async (m) => {
        await requireApp(m[1]!);
        const task = await p.ecs.describeTask(m[2]!);
        if (!task) return { status: 404, body: { error: { code: 'not_found', message: `no task ${m[2]}` } } };
        return { status: 200, body: task };
      },
    ],
    [
      'GET',
      /^\/apps\/([^/]+)\/log-group$/,
      async (m) => {
        const app = await requireApp(m[1]!);
        const name = logGroupName(p.config.logGroupPrefix, app);
        const account = accountId();
        return {
          status: 200,
          body: {
            region: p.config.region,
            logGroupName: name,
            logGroupArn: account ? `arn:aws:logs:${p.config.region}:${account}:log-group:${name}` : null,
          },
        };
      },
    ],
    [
      'PUT',
      /^\/apps\/([^/]+)\/webhook$/,
      async (m, req) => {
        const app = await requireApp(m[1]!);
        const given = body(req)['secret'];
        if (given !== undefined && (typeof given !== 'string' || given.length < 16)) {
          throw new ValidationError('a webhook secret must be a string of at least 16 characters');
        }
        const secret = (given as string | undefined) ?? randomBytes(24).toString('hex');
        await p.secrets.put(appSecretName('webhook', app), secret);
        return { status: 200, body: { secret, path: `/webhooks/<provider>/${app}` } };
      },
    ],
    [
      'PUT',
      /^\/apps\/([^/]+)\/autoscaling\/([^/]+)$/,
      async (m, req) => {
        const app = await requireApp(m[1]!);
        const type = validateProcessType(decodeURIComponent(m[2]!));
        if (req.body === undefined) {
          throw new ValidationError(
            'give the autoscaling config as the body, e.g. {"min": 1, "max": 10, "target": {"cpu": 60}}, or null to remove it',
          );
        }
        const config = parseAutoscalingConfig(req.body);
        const service = await p.ecs.describeService(app, type);
        if (!service || service.status === 'INACTIVE') {
          throw new NotFoundError(
            `${app} has no running "${type}" service: deploy it and scale it (\`wharf scale ${type}=1\`) first`,
          );
        }
        const tools = await loadAutoscaling(p.config.region, p.config.cluster, p.config.name);
        let loadBalancing: LoadBalancing | undefined;
        if (config && requiresLoadBalancer(config)) {
          const [targetGroupArn] = await p.router.targetGroupArns(app, type);
          loadBalancing = (targetGroupArn && (await tools.loadBalancingOf(targetGroupArn))) || undefined;
        }
        await tools.autoscaling.apply(app, type, ecsName(app, type, p.config.name), config, loadBalancing);
        // recorded after it applied: deploys then keep the count, and `wharf scale` refuses the type
        const formation = await p.controlPlane.setAutoscaling(app, type, config);
        return { status: 200, body: { app, processType: type, autoscaling: config, formation } };
      },
    ],
  ];
}
