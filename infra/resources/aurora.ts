/**
 * The relational resources (postgres, postgis, mysql) on AWS: one Aurora Serverless v2
 * cluster that scales to zero (0 ACU, paused after 5 minutes idle), encrypted, reached
 * only from the app's task security group, with credentials in Secrets Manager. A
 * second secret holds the connection values (DATABASE_URL, password) that ECS injects
 * as task secrets, so no password enters a release.
 */
import { CfnOutput, CfnParameter, SecretValue, Stack, type StackProps, Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import {
  commonParameters,
  deletionPolicyByKeepData,
  networkParameters,
  PARAMETERS,
  stackUniqueName,
} from './common.ts';
import { PostgisEnabler } from './postgis-enabler.ts';

export type RelationalProvider = 'postgres' | 'postgis' | 'mysql';

const ENGINES = {
  postgres: {
    engine: 'aurora-postgresql',
    version: '16.6',
    port: 5432,
    scheme: 'postgres',
    logs: ['postgresql'],
  },
  postgis: {
    engine: 'aurora-postgresql',
    version: '16.6',
    port: 5432,
    scheme: 'postgres',
    logs: ['postgresql'],
  },
  mysql: {
    engine: 'aurora-mysql',
    version: '8.0.mysql_aurora.3.08.2',
    port: 3306,
    scheme: 'mysql',
    logs: ['error', 'slowquery', 'audit'],
  },
} as const;

export const DATABASE_NAME = 'app';
export const DATABASE_USER = 'wharf';
/** seconds of idleness before a 0-ACU cluster pauses */
export const AUTO_PAUSE_SECONDS = 300;

export interface AuroraResourceStackProps extends StackProps {
  readonly provider: RelationalProvider;
}

export class AuroraResourceStack extends Stack {
  constructor(scope: Construct, id: string, props: AuroraResourceStackProps) {
    super(scope, id, props);
    const engine = ENGINES[props.provider];
    const common = commonParameters(this);
    const network = networkParameters(this);
    const executionRoleName = new CfnParameter(this, PARAMETERS.taskExecutionRoleName, {
      type: 'String',
      description: "The ECS task execution role that injects the app's secrets",
    });
    const maxCapacity = new CfnParameter(this, PARAMETERS.maxCapacity, {
      type: 'Number',
      default: 4,
      minValue: 1,
      maxValue: 256,
      description: 'Largest size in Aurora capacity units (ACU); the smallest is 0 (paused)',
    });

    const credentials = new secretsmanager.Secret(this, 'Credentials', {
      description: 'Wharf resource: master credentials',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: DATABASE_USER }),
        generateStringKey: 'password',
        // letters and digits only: the password goes into a URL unescaped
        excludePunctuation: true,
        passwordLength: 40,
      },
    });

    const securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: 'Wharf resource: admits the app tasks only',
      vpcId: network.vpcId.valueAsString,
      securityGroupIngress: [
        {
          ipProtocol: 'tcp',
          fromPort: engine.port,
          toPort: engine.port,
          sourceSecurityGroupId: network.appSecurityGroupId.valueAsString,
          description: 'from the app tasks',
        },
      ],
      // the database starts no connections: no egress (CDK's usual deny-all placeholder rule)
      securityGroupEgress: [
        {
          ipProtocol: 'icmp',
          cidrIp: '255.255.255.255/32',
          fromPort: 252,
          toPort: 86,
          description: 'no egress',
        },
      ],
    });

    const subnetGroup = new rds.CfnDBSubnetGroup(this, 'SubnetGroup', {
      dbSubnetGroupDescription: 'Wharf resource subnets',
      subnetIds: network.subnetIds.valueAsList,
    });

    const cluster = new rds.CfnDBCluster(this, 'Cluster', {
      dbClusterIdentifier: stackUniqueName(),
      engine: engine.engine,
      engineVersion: engine.version,
      port: engine.port,
      databaseName: DATABASE_NAME,
      masterUsername: credentials.secretValueFromJson('username').unsafeUnwrap(),
      masterUserPassword: credentials.secretValueFromJson('password').unsafeUnwrap(),
      storageEncrypted: true,
      serverlessV2ScalingConfiguration: {
        minCapacity: 0,
        maxCapacity: maxCapacity.valueAsNumber,
        secondsUntilAutoPause: AUTO_PAUSE_SECONDS,
      },
      vpcSecurityGroupIds: [securityGroup.attrGroupId],
      dbSubnetGroupName: subnetGroup.ref,
      enableHttpEndpoint: true,
      enableIamDatabaseAuthentication: true,
      enableCloudwatchLogsExports: [...engine.logs],
      backupRetentionPeriod: 7,
      copyTagsToSnapshot: true,
      deletionProtection: false,
    });
    deletionPolicyByKeepData(cluster, common.keepData, 'Snapshot');

    const writer = new rds.CfnDBInstance(this, 'Writer', {
      dbClusterIdentifier: cluster.ref,
      dbInstanceClass: 'db.serverless',
      engine: engine.engine,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
    });

    const host = cluster.attrEndpointAddress;
    const port = cluster.attrEndpointPort;
    const password = credentials.secretValueFromJson('password');
    const connection = new secretsmanager.Secret(this, 'Connection', {
      description: 'Wharf resource: connection values injected into the app tasks',
      secretObjectValue: {
        url: SecretValue.unsafePlainText(
          Fn.join('', [
            `${engine.scheme}://${DATABASE_USER}:`,
            password.unsafeUnwrap(),
            '@',
            host,
            ':',
            port,
            // Aurora PostgreSQL 15+ forces TLS (rds.force_ssl); libpq's `require` encrypts without pinning the RDS CA
            engine.scheme === 'postgres' ? `/${DATABASE_NAME}?sslmode=require` : `/${DATABASE_NAME}`,
          ]),
        ),
        password,
      },
    });

    new iam.CfnPolicy(this, 'ExecutionRoleReadsConnection', {
      policyName: Fn.join('-', ['wharf', common.appName.valueAsString, common.resourceName.valueAsString]),
      roles: [executionRoleName.valueAsString],
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: connection.secretArn },
        ],
      },
    });

    if (props.provider === 'postgis') {
      const enabler = new PostgisEnabler(this, 'Postgis', {
        clusterArn: cluster.attrDbClusterArn,
        credentialsSecretArn: credentials.secretArn,
        database: DATABASE_NAME,
      });
      enabler.resource.node.addDependency(writer);
    }

    new CfnOutput(this, 'Host', { value: host });
    new CfnOutput(this, 'Port', { value: port });
    new CfnOutput(this, 'Database', { value: DATABASE_NAME });
    new CfnOutput(this, 'Username', { value: DATABASE_USER });
    new CfnOutput(this, 'ConnectionSecretArn', { value: connection.secretArn });
    new CfnOutput(this, 'ClusterArn', { value: cluster.attrDbClusterArn });

    acknowledge(
      credentials,
      'SMG4',
      'Rotating the master password would invalidate the DATABASE_URL in the connection secret; rotation is not offered yet.',
    );
    acknowledge(
      connection,
      'SMG4',
      'Holds values derived from the master credentials; it changes only with them.',
    );
    acknowledge(
      this,
      'RDS10',
      'Deletion is the user’s explicit `wharf resource remove --yes`; a final snapshot is kept unless told otherwise.',
    );
    acknowledge(
      this,
      'RDS11',
      'Apps and client libraries expect the engine’s default port; the SG admits only the app.',
    );
    if (props.provider === 'mysql') {
      acknowledge(
        this,
        'RDS14',
        'Backtrack is not available on Aurora Serverless v2; backups and snapshots cover recovery.',
      );
    }
  }
}
