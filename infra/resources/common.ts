/**
 * What every resource template shares: the parameters the control plane passes to
 * CreateStack, and the KeepDataOnDelete switch. CloudFormation allows no intrinsic in
 * DeletionPolicy without the AWS::LanguageExtensions transform, so the templates carry
 * it; `wharf resource remove` without keeping data first updates the parameter to
 * 'false', then deletes the stack.
 */
import { CfnCondition, CfnParameter, type CfnResource, Fn, type Stack } from 'aws-cdk-lib';

export const PARAMETERS = {
  appName: 'AppName',
  resourceName: 'ResourceName',
  keepData: 'KeepDataOnDelete',
  vpcId: 'VpcId',
  subnetIds: 'SubnetIds',
  appSecurityGroupId: 'AppSecurityGroupId',
  appTaskRoleName: 'AppTaskRoleName',
  taskExecutionRoleName: 'TaskExecutionRoleName',
  maxCapacity: 'MaxCapacityAcu',
} as const;

export interface CommonParameters {
  readonly appName: CfnParameter;
  readonly resourceName: CfnParameter;
  readonly keepData: CfnCondition;
}

export function commonParameters(stack: Stack): CommonParameters {
  stack.addTransform('AWS::LanguageExtensions');
  const appName = new CfnParameter(stack, PARAMETERS.appName, {
    type: 'String',
    allowedPattern: '^[a-z][a-z0-9-]{0,62}$',
    description: 'The Wharf app the resource belongs to',
  });
  const resourceName = new CfnParameter(stack, PARAMETERS.resourceName, {
    type: 'String',
    allowedPattern: '^[a-z][a-z0-9-]{0,39}$',
    description: 'The resource name within the app',
  });
  const keepDataParam = new CfnParameter(stack, PARAMETERS.keepData, {
    type: 'String',
    allowedValues: ['true', 'false'],
    default: 'true',
    description: 'Keep a final snapshot (databases) or the data (table, bucket) when the stack is deleted',
  });
  const keepData = new CfnCondition(stack, 'KeepData', {
    expression: Fn.conditionEquals(keepDataParam.valueAsString, 'true'),
  });
  return { appName, resourceName, keepData };
}

/** DeletionPolicy and UpdateReplacePolicy chosen by KeepDataOnDelete. */
export function deletionPolicyByKeepData(
  resource: CfnResource,
  keepData: CfnCondition,
  whenKept: 'Snapshot' | 'Retain',
): void {
  resource.addOverride('DeletionPolicy', { 'Fn::If': [keepData.logicalId, whenKept, 'Delete'] });
  resource.addOverride('UpdateReplacePolicy', whenKept);
}

export interface NetworkParameters {
  readonly vpcId: CfnParameter;
  readonly subnetIds: CfnParameter;
  readonly appSecurityGroupId: CfnParameter;
}

export function networkParameters(stack: Stack): NetworkParameters {
  return {
    vpcId: new CfnParameter(stack, PARAMETERS.vpcId, {
      type: 'AWS::EC2::VPC::Id',
      description: "The platform's VPC",
    }),
    subnetIds: new CfnParameter(stack, PARAMETERS.subnetIds, {
      type: 'List<AWS::EC2::Subnet::Id>',
      description: 'Private subnets, in at least two availability zones',
    }),
    appSecurityGroupId: new CfnParameter(stack, PARAMETERS.appSecurityGroupId, {
      type: 'AWS::EC2::SecurityGroup::Id',
      description: "The app's task security group: the only source admitted",
    }),
  };
}

/** A name unique to this stack and short enough for every service: `w-<stack uuid>`. */
export function stackUniqueName(): string {
  return Fn.join('-', ['w', Fn.select(2, Fn.split('/', Fn.ref('AWS::StackId')))]);
}
