/**
 * The redis resource on AWS: ElastiCache Serverless with the Valkey engine (Redis
 * compatible), which bills by use with no nodes to size. TLS always, encryption at rest
 * always; reached only from the app's task security group. It has no password: access
 * is the security group, as for a Redis inside a private network.
 */
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type { Construct } from 'constructs';
import { commonParameters, networkParameters, stackUniqueName } from './common.ts';

export const REDIS_PORT = 6379;

export class CacheResourceStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const common = commonParameters(this);
    const network = networkParameters(this);

    const securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: 'Wharf resource: admits the app tasks only',
      vpcId: network.vpcId.valueAsString,
      securityGroupIngress: [
        {
          ipProtocol: 'tcp',
          fromPort: REDIS_PORT,
          toPort: REDIS_PORT + 1,
          sourceSecurityGroupId: network.appSecurityGroupId.valueAsString,
          description: 'from the app tasks (6380 is the read-replica port)',
        },
      ],
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

    const cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: stackUniqueName(),
      engine: 'valkey',
      majorEngineVersion: '8',
      description: 'Wharf resource',
      securityGroupIds: [securityGroup.attrGroupId],
      subnetIds: network.subnetIds.valueAsList,
      snapshotRetentionLimit: 1,
      // ServerlessCache has no Snapshot deletion policy: a final snapshot is asked by name
      finalSnapshotName: Fn.conditionIf(
        common.keepData.logicalId,
        Fn.join('-', [stackUniqueName(), 'final']),
        Fn.ref('AWS::NoValue'),
      ).toString(),
    });

    new CfnOutput(this, 'RedisUrl', {
      value: Fn.join('', ['rediss://', cache.attrEndpointAddress, ':', cache.attrEndpointPort]),
    });
  }
}
