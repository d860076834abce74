import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { allow } from './iam.ts';
import { acknowledge } from './nag.ts';

export interface WharfClusterProps {
  readonly name: string;
  readonly vpc: ec2.IVpc;
  readonly namespaceName: string;
  readonly containerInsights: boolean;
  readonly platformKey: kms.IKey;
  readonly secretsPrefix: string;
  readonly repository: ecr.IRepository;
}

/**
 * Where apps run: the ECS cluster (Fargate and Fargate Spot), the Cloud Map namespace,
 * the tasks' security group, and the two roles every task definition the control plane
 * registers uses.
 */
export class WharfCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  /** Attached to every app task; the load balancers may reach it on any TCP port. */
  readonly taskSecurityGroup: ec2.SecurityGroup;
  /** ECS agent's role: pulls images, writes logs, reads the app's secrets. */
  readonly executionRole: iam.Role;
  /** The apps' own role: no permissions of its own (resources grant theirs). */
  readonly taskRole: iam.Role;
  /** Apps log to `<prefix><app>` (one log group per app, created by the control plane). */
  readonly logGroupPrefix: string;

  constructor(scope: Construct, id: string, props: WharfClusterProps) {
    super(scope, id);
    this.logGroupPrefix = `/${props.name}/apps/`;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: props.name,
      vpc: props.vpc,
      enableFargateCapacityProviders: true,
      containerInsightsV2: props.containerInsights
        ? ecs.ContainerInsights.ENABLED
        : ecs.ContainerInsights.DISABLED,
    });
    this.cluster.addDefaultCapacityProviderStrategy([{ capacityProvider: 'FARGATE', weight: 1, base: 0 }]);
    if (!props.containerInsights) {
      acknowledge(
        this.cluster,
        'ECS4',
        'Container Insights was turned off by the containerInsights prop (cost).',
      );
    }

    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: props.namespaceName,
      vpc: props.vpc,
      description: `Wharf (${props.name}) service discovery: <process>.<app>.${props.namespaceName}`,
    });

    this.taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: `Wharf (${props.name}) app tasks`,
      allowAllOutbound: true,
    });
    // Instances of one app find each other through Cloud Map and talk directly.
    this.taskSecurityGroup.addIngressRule(this.taskSecurityGroup, ec2.Port.allTcp(), 'app to app');

    const stack = Stack.of(this);
    const fromEcsInThisAccount = {
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
    };
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', { conditions: fromEcsInThisAccount }),
      description: `Wharf (${props.name}): ECS task execution role of app tasks`,
    });
    allow(this.executionRole, {
      sid: 'PullReleaseImages',
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      resources: [props.repository.repositoryArn],
      why: 'Image pulls from the Wharf repository only.',
    });
    allow(this.executionRole, {
      sid: 'RegistryLogin',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
      why: 'ecr:GetAuthorizationToken has no resource-level permissions.',
    });
    allow(this.executionRole, {
      sid: 'AppLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: `${this.logGroupPrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      why: 'Apps log to one log group per app, which the control plane creates under this prefix.',
    });
    allow(this.executionRole, {
      sid: 'AppConfigSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [
        stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${props.secretsPrefix}apps/*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      why: 'Each app has its own config secret, which the control plane creates under this prefix (the name gets a random suffix).',
    });
    props.platformKey.grantDecrypt(this.executionRole);

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', { conditions: fromEcsInThisAccount }),
      description: `Wharf (${props.name}): role of app containers`,
    });
  }
}
