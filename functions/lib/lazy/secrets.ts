/**
 * Loaded on first use of the secret store: the Secrets Manager client and adapter. Only
 * the webhook reads a secret on its usual path (it imports this module statically); the
 * API, builds and ECS use secrets on a few routes and deploys.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerStore } from '../../../adapters/aws/secrets-store.ts';

export function makeSecretStore(region: string, prefix: string): SecretsManagerStore {
  return new SecretsManagerStore({ client: new SecretsManagerClient({ region }), prefix });
}
