import { Aws } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { NAME_PREFIXES, SECRET_NAMES } from './deploy-settings.ts';
import type { Grant } from './iam.ts';

/** What the control-plane grants are scoped to. */
export interface ControlPlaneScope {
  readonly name: string;
  readonly cluster: ecs.ICluster;
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  readonly executionRole: iam.IRole;
  readonly taskRole: iam.IRole;
  readonly resourceStackRole: iam.IRole;
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly repository: ecr.IRepository;
  readonly projects: codebuild.IProject[];
  readonly platformKey: kms.IKey;
  readonly secretsPrefix: string;
  readonly logGroupPrefix: string;
  readonly buildLogGroup: logs.ILogGroup;
  readonly hostedZone: route53.IHostedZone | undefined;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` of this stack's account and region. */
export function arnIn(service: string, resource: string): string {
  return `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
}

/**
 * Everything the API and event handlers do: run apps on ECS, route them on the ALBs,
 * publish them in Cloud Map, keep state, start builds, store secrets, read logs, create
 * resource stacks. Names the control plane creates start with `<name>-`, so the ARN
 * patterns below cover Wharf's resources and nothing else in the account.
 */
export function controlPlaneGrants(s: ControlPlaneScope): Grant[] {
  const n = s.name;
  const clusterIs = { ArnEquals: { 'ecs:cluster': s.cluster.clusterArn } };
  const grants: Grant[] = [
    {
      sid: 'CreateServicesInCluster',
      actions: ['ecs:CreateService'],
      resources: [arnIn('ecs', `service/${s.cluster.clusterName}/${n}-*`)],
      conditions: clusterIs,
      why: 'ECS services are created per app process type as <name>-<app>_<process>, only in the Wharf cluster.',
    },
    {
      sid: 'ManageServices',
      actions: [
        'ecs:UpdateService',
        'ecs:DeleteService',
        'ecs:DescribeServices',
        'ecs:TagResource',
        'ecs:UntagResource',
      ],
      resources: [arnIn('ecs', `service/${s.cluster.clusterName}/${n}-*`)],
      why: 'Services are named per app process type (<name>-<app>_<process>) in the Wharf cluster.',
    },
    {
      sid: 'AutoscaleServices',
      actions: [
        'application-autoscaling:RegisterScalableTarget',
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:DeleteScalingPolicy',
        'application-autoscaling:DeregisterScalableTarget',
      ],
      resources: [arnIn('application-autoscaling', 'scalable-target/*')],
      conditions: {
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      },
      why: 'Scalable target ARNs carry only an id Application Auto Scaling assigns, not the cluster or service, so no pattern can name the Wharf services; the conditions limit the grant to the desired count of ECS services, and `wharf autoscale` only registers services of the Wharf cluster.',
    },
    {
      sid: 'AutoscalingRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
      ],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'ecs.application-autoscaling.amazonaws.com' } },
      why: "The first scalable target of an account creates Application Auto Scaling's ECS service-linked role.",
    },
    {
      sid: 'AutoscalingAlarms',
      actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
      resources: [arnIn('cloudwatch', `alarm:TargetTracking-service/${s.cluster.clusterName}/*`)],
      why: "Target-tracking policies create their alarms as TargetTracking-service/<cluster>/<service>-Alarm<High|Low>-<uuid> with the caller's permissions; the pattern is the Wharf cluster's services.",
    },
    {
      sid: 'TaskDefinitions',
      actions: [
        'ecs:RegisterTaskDefinition',
        'ecs:DeregisterTaskDefinition',
        'ecs:DescribeTaskDefinition',
        'ecs:ListTaskDefinitions',
      ],
      resources: ['*'],
      why: 'ECS task-definition registration, deregistration and listing have no resource-level permissions.',
    },
    {
      sid: 'TagTaskDefinitions',
      actions: ['ecs:TagResource'],
      resources: [arnIn('ecs', `task-definition/${n}-*:*`)],
      why: 'Task definition families are <name>-<app>_<process>; each revision gets the wharf:app tag.',
    },
    {
      sid: 'RunTasksInCluster',
      actions: ['ecs:RunTask'],
      resources: [arnIn('ecs', `task-definition/${n}-*:*`)],
      conditions: clusterIs,
      why: 'One-off instances run Wharf task definitions (<name>-<app>_<process>, any revision) in the Wharf cluster only.',
    },
    {
      sid: 'ManageTasks',
      actions: ['ecs:StopTask', 'ecs:DescribeTasks', 'ecs:TagResource'],
      resources: [arnIn('ecs', `task/${s.cluster.clusterName}/*`)],
      why: 'Task ids are random; the pattern is limited to tasks of the Wharf cluster.',
    },
    {
      sid: 'ListInCluster',
      actions: ['ecs:ListServices', 'ecs:ListTasks'],
      resources: ['*'],
      conditions: clusterIs,
      why: 'ecs:ListServices and ecs:ListTasks have no resource-level permissions; the ecs:cluster condition limits them to the Wharf cluster.',
    },
    {
      sid: 'PassTaskRoles',
      actions: ['iam:PassRole'],
      resources: [s.executionRole.roleArn, s.taskRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      why: 'Task definitions use the platform task execution and task roles, passed to ECS tasks only.',
    },
    {
      sid: 'TargetGroups',
      actions: [
        'elasticloadbalancing:CreateTargetGroup',
        'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:AddTags',
        'elasticloadbalancing:RemoveTags',
      ],
      resources: [arnIn('elasticloadbalancing', `targetgroup/${n}-*/*`)],
      why: 'Target groups are created per route as <name>-<hash> (32 characters at most); the suffix is an id AWS assigns.',
    },
    {
      sid: 'ListenerRules',
      actions: [
        'elasticloadbalancing:CreateRule',
        'elasticloadbalancing:AddListenerCertificates',
        'elasticloadbalancing:RemoveListenerCertificates',
        'elasticloadbalancing:ModifyRule',
        'elasticloadbalancing:DeleteRule',
        'elasticloadbalancing:SetRulePriorities',
        'elasticloadbalancing:AddTags',
      ],
      resources: [
        arnIn('elasticloadbalancing', `listener/app/${n}-alb-*/*/*`),
        arnIn('elasticloadbalancing', `listener-rule/app/${n}-alb-*/*/*/*`),
      ],
      why: 'Routes are rules on the listeners of the Wharf load balancers (<name>-alb-<n>); the rest of the ARN is ids AWS assigns.',
    },
    {
      sid: 'LoadBalancerShards',
      actions: [
        'elasticloadbalancing:CreateLoadBalancer',
        'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:CreateListener',
        'elasticloadbalancing:DeleteListener',
        'elasticloadbalancing:AddTags',
      ],
      resources: [
        arnIn('elasticloadbalancing', `loadbalancer/app/${n}-alb-*/*`),
        arnIn('elasticloadbalancing', `listener/app/${n}-alb-*/*/*`),
      ],
      why: 'Past 100 target groups the control plane adds load balancers named <name>-alb-<n>.',
    },
    {
      sid: 'DescribeLoadBalancing',
      actions: [
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeListenerCertificates',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeTags',
      ],
      resources: ['*'],
      why: 'Elastic Load Balancing Describe* actions have no resource-level permissions.',
    },
    {
      sid: 'DiscoveryServices',
      actions: ['servicediscovery:CreateService', 'servicediscovery:GetNamespace'],
      resources: [s.namespace.namespaceArn],
      why: 'Discovery services are created in the Wharf namespace only.',
    },
    {
      sid: 'DiscoveryInstances',
      actions: [
        'servicediscovery:GetService',
        'servicediscovery:UpdateService',
        'servicediscovery:DeleteService',
        'servicediscovery:TagResource',
        'servicediscovery:RegisterInstance',
        'servicediscovery:DeregisterInstance',
        'servicediscovery:GetInstance',
        'servicediscovery:ListInstances',
        'servicediscovery:GetInstancesHealthStatus',
        'servicediscovery:UpdateInstanceCustomHealthStatus',
      ],
      resources: [arnIn('servicediscovery', 'service/*')],
      why: 'Cloud Map service ARNs carry only a random id (srv-...), not the namespace or a name.',
    },
    {
      sid: 'DiscoveryLists',
      actions: [
        'servicediscovery:ListNamespaces',
        'servicediscovery:ListServices',
        'servicediscovery:ListOperations',
        'servicediscovery:GetOperation',
        'servicediscovery:DiscoverInstances',
      ],
      resources: ['*'],
      why: 'These Cloud Map actions have no resource-level permissions.',
    },
    {
      sid: 'DiscoveryRecords',
      actions: [
        'route53:GetHostedZone',
        'route53:ChangeResourceRecordSets',
        'route53:ListResourceRecordSets',
      ],
      resources: [`arn:${Aws.PARTITION}:route53:::hostedzone/${s.namespace.namespaceHostedZoneId}`],
      why: "Cloud Map writes the instances' records in the namespace's private zone with the caller's permissions.",
    },
    {
      sid: 'DnsChanges',
      actions: ['route53:GetChange'],
      resources: [`arn:${Aws.PARTITION}:route53:::change/*`],
      why: 'Route 53 change ids are random; GetChange only reads the status of a change.',
    },
    {
      sid: 'RequestCertificates',
      actions: ['acm:RequestCertificate', 'acm:ListCertificates'],
      resources: ['*'],
      why: 'acm:RequestCertificate and acm:ListCertificates have no resource-level permissions.',
    },
    {
      sid: 'ManageCertificates',
      actions: ['acm:DescribeCertificate', 'acm:DeleteCertificate', 'acm:AddTagsToCertificate'],
      resources: [arnIn('acm', 'certificate/*')],
      why: "Certificates for apps' custom domains get random ids; the pattern is this account and region.",
    },
    {
      sid: 'State',
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DescribeTable',
      ],
      resources: [s.table.tableArn, `${s.table.tableArn}/index/*`],
      why: 'The Wharf table and its indexes.',
    },
    {
      sid: 'Artifacts',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [s.bucket.arnForObjects('*')],
      why: 'Objects of the Wharf artifacts bucket (sources, slugs, caches, resource templates).',
    },
    {
      sid: 'ListArtifacts',
      actions: ['s3:ListBucket'],
      resources: [s.bucket.bucketArn],
      why: 'The Wharf artifacts bucket.',
    },
    {
      sid: 'Images',
      actions: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
        'ecr:DescribeImages',
        'ecr:ListImages',
        'ecr:BatchDeleteImage',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
      ],
      resources: [s.repository.repositoryArn],
      why: 'The Wharf repository only.',
    },
    {
      sid: 'RegistryLogin',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
      why: 'ecr:GetAuthorizationToken has no resource-level permissions.',
    },
    {
      sid: 'Builds',
      actions: [
        'codebuild:StartBuild',
        'codebuild:StopBuild',
        'codebuild:RetryBuild',
        'codebuild:BatchGetBuilds',
      ],
      resources: s.projects.map((p) => p.projectArn),
      why: 'The two Wharf CodeBuild projects.',
    },
    {
      sid: 'Secrets',
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:UpdateSecret',
        'secretsmanager:DeleteSecret',
        'secretsmanager:RestoreSecret',
        'secretsmanager:TagResource',
      ],
      resources: [arnIn('secretsmanager', `secret:${s.secretsPrefix}*`)],
      why: 'App config, webhook secrets and git tokens are secrets named under the Wharf prefix; AWS appends a random suffix.',
    },
    {
      sid: 'PlatformKey',
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [s.platformKey.keyArn],
      why: 'The platform key, which encrypts Wharf secrets.',
    },
    {
      sid: 'AppLogGroups',
      actions: [
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        'logs:TagResource',
        'logs:TagLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'logs:DescribeLogStreams',
        'logs:GetLogEvents',
        'logs:FilterLogEvents',
        'logs:StartLiveTail',
      ],
      resources: [
        arnIn('logs', `log-group:${s.logGroupPrefix}*`),
        arnIn('logs', `log-group:${s.logGroupPrefix}*:*`),
      ],
      why: 'One log group per app (<prefix><app>) and its streams, created by the control plane.',
    },
    {
      sid: 'BuildLogs',
      actions: ['logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:DescribeLogStreams', 'logs:StartLiveTail'],
      resources: [s.buildLogGroup.logGroupArn],
      why: 'The build log group and its streams (a log group ARN ends in :*).',
    },
    {
      sid: 'FindLogGroups',
      actions: ['logs:DescribeLogGroups'],
      resources: [arnIn('logs', 'log-group:*')],
      why: 'logs:DescribeLogGroups is authorized on every log group of the account and region.',
    },
    {
      sid: 'ResourceStacks',
      actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack'],
      resources: [arnIn('cloudformation', `stack/${n}-${NAME_PREFIXES.resourceStack}*/*`)],
      conditions: { StringEquals: { 'cloudformation:RoleArn': s.resourceStackRole.roleArn } },
      why: 'Resource stacks are named <name>-resource-<app>--<resource>; the stack id suffix is random. They must run as the resource stack role.',
    },
    {
      sid: 'ReadResourceStacks',
      actions: [
        'cloudformation:DeleteStack',
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:DescribeStackResources',
        'cloudformation:GetTemplate',
        'cloudformation:TagResource',
      ],
      resources: [arnIn('cloudformation', `stack/${n}-${NAME_PREFIXES.resourceStack}*/*`)],
      why: 'Resource stacks are named <name>-resource-<app>--<resource>; the stack id suffix is random.',
    },
    {
      sid: 'PassResourceStackRole',
      actions: ['iam:PassRole'],
      resources: [s.resourceStackRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      why: 'Resource stacks run as their own role, passed to CloudFormation only.',
    },
    {
      sid: 'PlatformEvents',
      actions: ['events:PutEvents'],
      resources: [arnIn('events', 'event-bus/default')],
      why: 'Wharf events go to the default event bus with source "wharf".',
    },
    {
      sid: 'FindAppResources',
      actions: ['tag:GetResources'],
      resources: ['*'],
      why: "tag:GetResources has no resource-level permissions; it finds what carries an app's wharf:app tag.",
    },
  ];
  if (s.hostedZone) {
    grants.push({
      sid: 'AppDomainRecords',
      actions: [
        'route53:GetHostedZone',
        'route53:ChangeResourceRecordSets',
        'route53:ListResourceRecordSets',
      ],
      resources: [s.hostedZone.hostedZoneArn],
      why: "Apps on load balancers other than the first get their own records in the platform's hosted zone.",
    });
  }
  return grants;
}

/** The webhook handler only records pushes and starts builds. */
export function webhookGrants(s: ControlPlaneScope): Grant[] {
  return [
    {
      sid: 'State',
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [s.table.tableArn, `${s.table.tableArn}/index/*`],
      why: 'The Wharf table and its indexes.',
    },
    {
      sid: 'UploadSources',
      actions: ['s3:PutObject'],
      resources: [s.bucket.arnForObjects('sources/*')],
      why: 'Pushed sources are stored under sources/ in the artifacts bucket.',
    },
    {
      sid: 'WebhookSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [arnIn('secretsmanager', `secret:${s.secretsPrefix}${SECRET_NAMES.webhook}*`)],
      why: "Each app's webhook signing secret is webhook/<app> (functions/webhook.ts); AWS appends a random suffix.",
    },
    {
      sid: 'PlatformKey',
      actions: ['kms:Decrypt'],
      resources: [s.platformKey.keyArn],
      why: 'The platform key, which encrypts the webhook secrets.',
    },
    {
      sid: 'StartBuilds',
      actions: ['codebuild:StartBuild'],
      resources: s.projects.map((p) => p.projectArn),
      why: 'The two Wharf CodeBuild projects.',
    },
    {
      sid: 'BuildConfig',
      actions: [
        'secretsmanager:PutSecretValue',
        'secretsmanager:CreateSecret',
        'secretsmanager:RestoreSecret',
      ],
      resources: [arnIn('secretsmanager', `secret:${s.secretsPrefix}${SECRET_NAMES.buildEnv}*`)],
      why: "A push's build gets the app's config through the secret build-env/<app>, written before StartBuild; AWS appends a random suffix to secret names.",
    },
    {
      sid: 'GitTokens',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [arnIn('secretsmanager', `secret:${s.secretsPrefix}${SECRET_NAMES.gitToken}*`)],
      why: "A push's build is told the name of the app's git token secret (git-token/<app>) when it has one; AWS appends a random suffix to secret names.",
    },
  ];
}
