/** From a resource stack's outputs to the env the app's releases get. */
import type { Output } from '@aws-sdk/client-cloudformation';
import type { ResourceProvider } from '../../../core/domain.ts';
import { type ResourceEnvValues, resourceEnv, secretRef } from '../../../core/resources/env.ts';

export class StackOutputMissingError extends Error {
  constructor(stack: string, output: string) {
    super(
      `resource stack ${stack} has no output ${output}: its template is older than this control plane; update the stack`,
    );
    this.name = 'StackOutputMissingError';
  }
}

export function envFromOutputs(
  stack: string,
  provider: ResourceProvider,
  prefix: string,
  outputs: readonly Output[],
): Record<string, string> {
  const out = (key: string): string => {
    const value = outputs.find((o) => o.OutputKey === key)?.OutputValue;
    if (value === undefined) throw new StackOutputMissingError(stack, key);
    return value;
  };
  let values: ResourceEnvValues;
  switch (provider) {
    case 'postgres':
    case 'postgis':
    case 'mysql': {
      // the URL and password stay in Secrets Manager: ECS injects them as task secrets
      const secret = out('ConnectionSecretArn');
      values = {
        url: secretRef(secret, 'url'),
        host: out('Host'),
        port: out('Port'),
        user: out('Username'),
        password: secretRef(secret, 'password'),
        database: out('Database'),
      };
      break;
    }
    case 'redis':
      values = { url: out('RedisUrl') };
      break;
    case 'document':
      values = { table: out('TableName'), endpoint: out('Endpoint'), region: out('Region') };
      break;
    case 'blob':
      values = { bucket: out('BucketName'), endpoint: out('Endpoint'), region: out('Region') };
      break;
  }
  return resourceEnv(provider, prefix, values);
}
