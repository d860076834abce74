/**
 * The platform's secret store. The webhook reads a secret on every delivery, so the store
 * goes through the small signed client, not the SDK's, whose import alone costs more than
 * the cold start budget (docs/lambda-cold-start.md); being small, it loads with every
 * function rather than on first use.
 */
import { AwsJsonClient, envCredentials } from '../../adapters/aws/aws-json-client.ts';
import { httpSecretsApi, SECRETS_MANAGER_PROTOCOL } from '../../adapters/aws/secrets-api.ts';
import { SecretsManagerStore } from '../../adapters/aws/secrets-store.ts';

export function makeSecretStore(region: string, prefix: string): SecretsManagerStore {
  const client = new AwsJsonClient({
    ...SECRETS_MANAGER_PROTOCOL,
    region,
    credentials: envCredentials(),
  });
  return new SecretsManagerStore({ client: httpSecretsApi(client), prefix });
}
