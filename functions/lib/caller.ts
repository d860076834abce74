/**
 * `GET /whoami` on AWS: the IAM identity API Gateway's IAM authorizer verified for this
 * request, from the event itself (no STS call). `wharf login` prints it, so a user sees
 * which role or user their requests are signed as, not just an access key.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface Caller {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
}

interface IamContext {
  readonly iam?: { readonly userArn?: unknown; readonly accountId?: unknown; readonly userId?: unknown };
}

/** The caller IAM authenticated, or null when the API is not behind the IAM authorizer. */
export function callerOf(event: APIGatewayProxyEventV2): Caller | null {
  const iam = (event.requestContext as { authorizer?: IamContext }).authorizer?.iam;
  if (!iam || typeof iam.userArn !== 'string' || iam.userArn === '') return null;
  return {
    arn: iam.userArn,
    account: typeof iam.accountId === 'string' ? iam.accountId : '',
    userId: typeof iam.userId === 'string' ? iam.userId : '',
  };
}
