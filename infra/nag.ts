import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges a cdk-nag finding on a construct and its children. Every call states why
 * the finding does not apply; cdk-nag 3 reads these through CDK's Validations metadata.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: id.startsWith('AwsSolutions-') ? id : `AwsSolutions-${id}`,
    reason,
  });
}
