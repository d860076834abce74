/** Loaded on first use of resources: the CloudFormation client and the stack provisioner. */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  type AppStackContext,
  CloudFormationResourceProvisioner,
} from '../../../adapters/aws/resources/provisioner.ts';
import { templateSourceFor } from '../../../adapters/aws/resources/templates.ts';
import { ValidationError } from '../../../core/errors.ts';
import type { AwsConfig } from '../config.ts';

/** `arn:aws:iam::123:role/path/name` → `name`: the templates grant roles by name. */
export function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** Every app shares the platform's VPC, task security group and roles. */
export function appStackContext(config: AwsConfig): AppStackContext {
  const missing = [
    ['WHARF_VPC_ID', config.vpcId],
    ['WHARF_SUBNETS', config.subnets.join(',')],
    ['WHARF_TASK_SECURITY_GROUP', config.taskSecurityGroup],
    ['WHARF_TASK_ROLE_ARN', config.taskRoleArn],
    ['WHARF_EXECUTION_ROLE_ARN', config.executionRoleArn],
  ].filter(([, v]) => !v);
  if (missing.length > 0) {
    throw new ValidationError(
      `resources need env vars ${missing.map(([k]) => k).join(', ')}: the platform stack sets them; redeploy the stack`,
    );
  }
  return {
    vpcId: config.vpcId,
    subnetIds: config.subnets,
    appSecurityGroupId: config.taskSecurityGroup,
    appTaskRoleName: roleName(config.taskRoleArn),
    taskExecutionRoleName: roleName(config.executionRoleArn),
  };
}

export function makeResourceProvisioner(config: AwsConfig): CloudFormationResourceProvisioner {
  return new CloudFormationResourceProvisioner({
    client: new CloudFormationClient({ region: config.region }),
    // file:// when the templates ship in the code (the platform stack), else their S3 folder
    templates: templateSourceFor(config.resourceTemplatesUrl),
    stackNamePrefix: config.resourceStackPrefix,
    appContext: async () => appStackContext(config),
    ...(config.resourceStackRoleArn ? { roleArn: config.resourceStackRoleArn } : {}),
  });
}
