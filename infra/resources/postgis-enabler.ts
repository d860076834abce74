/**
 * PostGIS on Aurora: a custom resource that runs `CREATE EXTENSION IF NOT EXISTS postgis`
 * through the RDS Data API once the writer exists, so that the stack's CREATE_COMPLETE
 * means the app's first connection already finds PostGIS. The function's code is inline
 * (ZipFile) so that the template needs no asset bucket; the Data API needs no VPC
 * access, and its retry loop waits out a cluster resuming from 0 ACU.
 */
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

const HANDLER = `
import time, boto3, cfnresponse
from botocore.exceptions import ClientError

def handler(event, context):
    try:
        if event['RequestType'] != 'Delete':
            p = event['ResourceProperties']
            client = boto3.client('rds-data')
            deadline = time.time() + 540
            while True:
                try:
                    client.execute_statement(resourceArn=p['ClusterArn'], secretArn=p['SecretArn'],
                                             database=p['Database'], sql='CREATE EXTENSION IF NOT EXISTS postgis')
                    break
                except ClientError as e:
                    # a cluster paused at 0 ACU answers DatabaseResumingException until it is up
                    if 'Resum' not in str(e) or time.time() > deadline:
                        raise
                    time.sleep(10)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, 'postgis')
    except Exception as e:
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, 'postgis', reason=str(e)[:1000])
`;

export interface PostgisEnablerProps {
  readonly clusterArn: string;
  readonly credentialsSecretArn: string;
  readonly database: string;
}

export class PostgisEnabler extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: PostgisEnablerProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        enable: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['rds-data:ExecuteStatement'],
              resources: [props.clusterArn],
            }),
            new iam.PolicyStatement({
              actions: ['secretsmanager:GetSecretValue'],
              resources: [props.credentialsSecretArn],
            }),
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    const fn = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.PYTHON_3_14,
      handler: 'index.handler',
      code: lambda.Code.fromInline(HANDLER),
      timeout: Duration.minutes(10),
      memorySize: 128,
      role,
      logGroup,
      description: 'Wharf: enables PostGIS in a new Aurora PostgreSQL resource',
    });
    acknowledge(
      fn,
      'L1',
      'python3.14 is the newest Python runtime generally available in Lambda; the check counts runtimes the CDK lists ahead of that.',
    );
    this.resource = new CustomResource(this, 'Extension', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::PostgisExtension',
      properties: {
        ClusterArn: props.clusterArn,
        SecretArn: props.credentialsSecretArn,
        Database: props.database,
      },
    });
  }
}
