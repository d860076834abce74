/**
 * The document resource on AWS: one DynamoDB table, on demand, encrypted, with
 * point-in-time recovery, keyed `pk` (string) + `sk` (string) for single-table designs
 * (the same key schema the local dynalite table gets). The app's task role gets access
 * to this table only.
 */
import { type CfnElement, CfnOutput, CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { commonParameters, deletionPolicyByKeepData, PARAMETERS } from './common.ts';

export class DocumentResourceStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const common = commonParameters(this);
    const taskRoleName = new CfnParameter(this, PARAMETERS.appTaskRoleName, {
      type: 'String',
      description: "The app's ECS task role, granted access to the table",
    });

    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    deletionPolicyByKeepData(table.node.defaultChild as dynamodb.CfnTable, common.keepData, 'Retain');

    const policy = new iam.CfnPolicy(this, 'TaskRoleUsesTable', {
      policyName: Fn.join('-', ['wharf', common.appName.valueAsString, common.resourceName.valueAsString]),
      roles: [taskRoleName.valueAsString],
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:GetItem',
              'dynamodb:BatchGetItem',
              'dynamodb:Query',
              'dynamodb:Scan',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:BatchWriteItem',
              'dynamodb:ConditionCheckItem',
              'dynamodb:DescribeTable',
            ],
            Resource: [table.tableArn, Fn.join('', [table.tableArn, '/index/*'])],
          },
        ],
      },
    });

    acknowledge(
      policy,
      `IAM5[Resource::<${Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
      'The wildcard covers the indexes of this one table only.',
    );

    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'Region', { value: Stack.of(this).region });
    new CfnOutput(this, 'Endpoint', {
      value: Fn.join('', ['https://dynamodb.', Stack.of(this).region, '.', Stack.of(this).urlSuffix]),
    });
  }
}
