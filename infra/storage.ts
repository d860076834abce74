import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export interface WharfStorageProps {
  readonly name: string;
  readonly untaggedImageRetentionDays: number;
  readonly sourceRetentionDays: number;
  readonly accessLogRetentionDays: number;
}

/** Where Wharf keeps state: the table, the artifacts and log buckets, the image repository, secrets. */
export class WharfStorage extends Construct {
  /** Single table: pk/sk, GSI `gsi1` (gsi1pk/gsi1sk), TTL `expiresAt`. */
  readonly table: dynamodb.Table;
  /** Sources (`sources/`), slugs (`slugs/`), build caches (`cache/`). */
  readonly bucket: s3.Bucket;
  /** Load balancer and bucket access logs. */
  readonly logBucket: s3.Bucket;
  /** Release images, tagged `<app>-v<version>`. */
  readonly repository: ecr.Repository;
  /** The platform key: encrypts secrets under the `<name>/` prefix and build outputs. */
  readonly platformKey: kms.Key;
  /** Shared secret for webhook signatures (apps may have their own under `<name>/webhooks/`). */
  readonly webhookSecret: secretsmanager.Secret;
  /** Name prefix of the secrets the control plane creates. */
  readonly secretsPrefix: string;

  constructor(scope: Construct, id: string, props: WharfStorageProps) {
    super(scope, id);
    this.secretsPrefix = `${props.name}/`;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Lists across apps (all routes, all resources, events by time) without a scan.
    this.table.addGlobalSecondaryIndex({
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      // ALB access logs can only be written to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { id: 'expire-logs', expiration: Duration.days(props.accessLogRetentionDays) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.logBucket,
      'S1',
      'This is the access-log bucket itself; logging it into itself would loop.',
    );

    this.bucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/artifacts/',
      lifecycleRules: [
        { id: 'expire-sources', prefix: 'sources/', expiration: Duration.days(props.sourceRetentionDays) },
        { id: 'expire-caches', prefix: 'cache/', expiration: Duration.days(props.sourceRetentionDays) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: `${props.name}/apps`,
      imageScanOnPush: true,
      // Release tags never move (a rollback must get the image it had); `cache-*` and
      // `stack-*` tags are rewritten by builds.
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [
        ecr.ImageTagMutabilityExclusionFilter.wildcard('cache-*'),
        ecr.ImageTagMutabilityExclusionFilter.wildcard('stack-*'),
      ],
      lifecycleRules: [
        {
          description: 'Untagged images (superseded layers, failed pushes)',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(props.untaggedImageRetentionDays),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.platformKey = new kms.Key(this, 'PlatformKey', {
      description: `Wharf (${props.name}): secrets (app config, webhook secrets, git tokens) and build outputs`,
      enableKeyRotation: true,
      alias: `alias/${props.name}/platform`,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      secretName: `${this.secretsPrefix}webhooks/default`,
      description: 'Shared secret git hosts sign webhook deliveries with (HMAC); apps may override it.',
      encryptionKey: this.platformKey,
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    acknowledge(
      this.webhookSecret,
      'SMG4',
      'A webhook secret is also stored at each git host, so rotating it means re-registering the hooks there: it is rotated by hand (docs/aws.md), not by a rotation Lambda.',
    );
  }
}
