/** The env the platform stack gives the functions, with test values. */

// Import this module before the functions: their logger reads the level when it is made.
process.env['POWERTOOLS_LOG_LEVEL'] = process.env['POWERTOOLS_LOG_LEVEL'] ?? 'SILENT';

export const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDTEST',
  AWS_SECRET_ACCESS_KEY: 'secret',
  WHARF_NAME: 'wharf',
  WHARF_TABLE: 'wharf-state',
  WHARF_BUCKET: 'wharf-bucket',
  WHARF_CLUSTER: 'wharf',
  WHARF_NAMESPACE_ID: 'ns-123',
  WHARF_NAMESPACE_NAME: 'wharf.internal',
  WHARF_LISTENER_ARNS:
    'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/wharf-0/abc/def,arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/wharf-1/abc/def',
  WHARF_ALB_ARNS: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/wharf-0/abc',
  WHARF_REPOSITORY: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps',
  WHARF_BUILD_PROJECT: 'wharf-build',
  WHARF_DOCKER_BUILD_PROJECT: 'wharf-docker-build',
  WHARF_SECRETS_PREFIX: 'wharf/',
  WHARF_SUBNETS: 'subnet-a,subnet-b',
  WHARF_TASK_SECURITY_GROUP: 'sg-tasks',
  WHARF_EXECUTION_ROLE_ARN: 'arn:aws:iam::111122223333:role/exec',
  WHARF_TASK_ROLE_ARN: 'arn:aws:iam::111122223333:role/task',
  WHARF_LOG_GROUP_PREFIX: '/wharf/apps/',
  WHARF_VPC_ID: 'vpc-1',
  WHARF_ROUTER_DOMAIN: 'apps.example.com',
  WHARF_MAX_WEBHOOK_BYTES: '65536',
  WHARF_RESOURCE_STACK_PREFIX: 'wharf-resource-',
  WHARF_RESOURCE_STACK_ROLE_ARN: 'arn:aws:iam::111122223333:role/wharf-resource-stacks',
};

export function setLambdaEnv(): void {
  Object.assign(process.env, LAMBDA_ENV);
}

export function httpEvent(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
  query: Record<string, string> = {},
) {
  const raw = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    headers,
    isBase64Encoded: raw !== undefined,
    body: raw?.toString('base64'),
    requestContext: { http: { method, path } },
  } as unknown as import('aws-lambda').APIGatewayProxyEventV2;
}

export const lambdaContext = {
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:wharf-api',
  awsRequestId: 'req-1',
  functionName: 'wharf-test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as import('aws-lambda').Context;
