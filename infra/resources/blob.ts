/**
 * The blob resource on AWS: one S3 bucket, private, encrypted, TLS only, versioned so
 * that an overwrite or delete can be undone. The app's task role gets access to this
 * bucket only.
 */
import { type CfnElement, CfnOutput, CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { commonParameters, deletionPolicyByKeepData, PARAMETERS } from './common.ts';

export class BlobResourceStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const common = commonParameters(this);
    const taskRoleName = new CfnParameter(this, PARAMETERS.appTaskRoleName, {
      type: 'String',
      description: "The app's ECS task role, granted access to the bucket",
    });

    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });
    deletionPolicyByKeepData(bucket.node.defaultChild as s3.CfnBucket, common.keepData, 'Retain');

    const policy = new iam.CfnPolicy(this, 'TaskRoleUsesBucket', {
      policyName: Fn.join('-', ['wharf', common.appName.valueAsString, common.resourceName.valueAsString]),
      roles: [taskRoleName.valueAsString],
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: bucket.bucketArn },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectVersion'],
            Resource: bucket.arnForObjects('*'),
          },
        ],
      },
    });

    acknowledge(
      policy,
      `IAM5[Resource::<${Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>/*]`,
      'The wildcard covers the objects of this one bucket only.',
    );

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'Region', { value: Stack.of(this).region });
    new CfnOutput(this, 'Endpoint', {
      value: Fn.join('', ['https://s3.', Stack.of(this).region, '.', Stack.of(this).urlSuffix]),
    });

    acknowledge(
      bucket,
      'S1',
      "An app's own data bucket: request logging is the app owner's choice, and CloudTrail data events cover audit.",
    );
  }
}
