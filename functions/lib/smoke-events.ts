/**
 * One minimal, representative event per function that is answered without any AWS call,
 * and the probe that imports a bundled function in a fresh `node` and invokes it once.
 * The bundle bench times it (import, then import + first call: work moved from the
 * import into the first invocation shows up there) and test/aws/lambda-bundles.test.ts
 * checks every bundle answers it. Not part of any bundle.
 */
import type { LAMBDA_FUNCTIONS } from './bundling.ts';

export type LambdaFunction = (typeof LAMBDA_FUNCTIONS)[number];

export interface SmokeEvent {
  /** what the call stands for, for the bench's table */
  readonly what: string;
  readonly event: unknown;
  /** the part of the handler's answer that must match */
  readonly expect: Readonly<Record<string, unknown>>;
}

/** the webhook limit the probe sets, so that its 413 body stays small */
const MAX_WEBHOOK_BYTES = 1024;

const httpEvent = (method: string, path: string, body?: string) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: { http: { method, path } },
  isBase64Encoded: false,
  ...(body === undefined ? {} : { body }),
});

export const SMOKE_EVENTS: Readonly<Record<LambdaFunction, SmokeEvent>> = {
  api: {
    what: 'GET of an unknown path → 404',
    event: httpEvent('GET', '/no-such-route'),
    expect: { statusCode: 404 },
  },
  webhook: {
    what: 'a body over the limit → 413',
    event: httpEvent('POST', '/webhooks/github/shop', 'x'.repeat(MAX_WEBHOOK_BYTES + 1)),
    expect: { statusCode: 413 },
  },
  'build-events': {
    what: 'a build Wharf did not start → ignored',
    event: {
      'detail-type': 'CodeBuild Build State Change',
      source: 'aws.codebuild',
      detail: {
        'build-status': 'SUCCEEDED',
        'build-id': 'arn:aws:codebuild:eu-west-1:111122223333:build/other:1',
        'additional-information': { environment: { 'environment-variables': [] } },
      },
    },
    expect: { outcome: 'ignored: not a Wharf build' },
  },
  'task-events': {
    what: 'a task of another service → ignored',
    event: {
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      detail: {
        taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/other/0123456789abcdef',
        group: 'service:someone-else',
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/someone-else:1',
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        containers: [],
      },
    },
    expect: { outcome: 'ignored: not a Wharf task' },
  },
  'stack-events': {
    what: 'an event naming no stack → ignored (loads the CloudFormation adapter)',
    event: {
      'detail-type': 'CloudFormation Stack Status Change',
      source: 'aws.cloudformation',
      detail: {},
      resources: [],
    },
    expect: { outcome: 'ignored: not a resource stack, or nothing to do yet' },
  },
};

/** The env the probe runs with: what the platform stack sets, with test values; no network is used. */
export const SMOKE_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDSMOKE',
  AWS_SECRET_ACCESS_KEY: 'smoke',
  WHARF_TABLE: 'wharf-state',
  WHARF_BUCKET: 'wharf-bucket',
  WHARF_MAX_WEBHOOK_BYTES: String(MAX_WEBHOOK_BYTES),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

export interface ProbeResult {
  /** ms from `import()` to the module's evaluation */
  readonly importMs: number;
  readonly importCpuMs: number;
  /** ms from `import()` to the first invocation's answer */
  readonly firstCallMs: number;
  readonly firstCallCpuMs: number;
  readonly exportsHandler: boolean;
  readonly result: unknown;
}

/**
 * An ES module that imports argv[2], invokes its `handler` with the JSON event in argv[3]
 * (unless it is empty), and prints a ProbeResult as JSON.
 */
export const PROBE_SOURCE = `
const [entry, eventJson] = process.argv.slice(2);
const c0 = process.cpuUsage();
const t0 = performance.now();
const mod = await import(entry);
const importMs = performance.now() - t0;
const importCpu = process.cpuUsage(c0);
let result = null;
if (eventJson) {
  const context = { awsRequestId: 'probe-1', functionName: 'probe', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:probe', getRemainingTimeInMillis: () => 30000 };
  result = await mod.handler(JSON.parse(eventJson), context);
}
const firstCallMs = performance.now() - t0;
const callCpu = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({
  importMs, importCpuMs: (importCpu.user + importCpu.system) / 1000,
  firstCallMs, firstCallCpuMs: (callCpu.user + callCpu.system) / 1000,
  exportsHandler: typeof mod.handler === 'function', result,
}));
`;

/** Whether `result` has every field of `expect` with the same value. */
export function matchesSmoke(result: unknown, expect: SmokeEvent['expect']): boolean {
  if (typeof result !== 'object' || result === null) return false;
  return Object.entries(expect).every(([k, v]) => (result as Record<string, unknown>)[k] === v);
}
