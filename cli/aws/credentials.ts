/**
 * The user's AWS credentials, from the SDK's usual chain (env vars, SSO, a profile,
 * `credential_process`, container and instance roles), one provider per process.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { UnauthorizedError } from '../../core/errors.ts';
import type { AwsRemote } from '../remote.ts';

export class AwsCredentialsError extends UnauthorizedError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsCredentialsError';
  }
}

const providers = new Map<string, AwsCredentialIdentityProvider>();

/** A provider that caches and refreshes, and fails with what to set. */
export function credentialsFor(remote: Pick<AwsRemote, 'profile'>): AwsCredentialIdentityProvider {
  const key = remote.profile ?? '';
  let provider = providers.get(key);
  if (!provider) {
    const chain = fromNodeProviderChain(remote.profile ? { profile: remote.profile } : {});
    provider = async () => {
      try {
        return await chain();
      } catch (e) {
        throw noCredentials(remote.profile, e);
      }
    };
    providers.set(key, provider);
  }
  return provider;
}

function noCredentials(profile: string | undefined, cause: unknown): AwsCredentialsError {
  const why = cause instanceof Error ? cause.message : String(cause);
  const fix = profile
    ? `profile "${profile}" gave none (${why}): check it in ~/.aws/config, or run \`aws sso login --profile ${profile}\``
    : `none found (${why}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or AWS_PROFILE, or log in with \`wharf login --aws URL --profile P\``;
  return new AwsCredentialsError(`no AWS credentials to sign Wharf API requests with: ${fix}`, {
    cause,
  });
}

/** `AKIA…WXYZ (account 1111…)`: enough to tell which identity signs, no secret. */
export function describeCredentials(c: AwsCredentialIdentity): string {
  const id =
    c.accessKeyId.length > 8 ? `${c.accessKeyId.slice(0, 4)}…${c.accessKeyId.slice(-4)}` : c.accessKeyId;
  const account = (c as { accountId?: string }).accountId;
  return `access key ${id}${c.sessionToken ? ' (temporary)' : ''}${account ? ` of account ${account}` : ''}`;
}
