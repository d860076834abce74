/**
 * SecretsManagerStore's calls over the SDK's client: for code off the Lambda cold path and
 * for tests that mock the client with aws-sdk-client-mock (secrets-api.ts has the small one).
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsApi } from './secrets-api.ts';

export function sdkSecretsApi(client: SecretsManagerClient): SecretsApi {
  return {
    getSecretValue: (input) => client.send(new GetSecretValueCommand(input)),
    putSecretValue: (input) => client.send(new PutSecretValueCommand(input)),
    createSecret: (input) => client.send(new CreateSecretCommand(input)),
    deleteSecret: (input) => client.send(new DeleteSecretCommand(input)),
    restoreSecret: (input) => client.send(new RestoreSecretCommand(input)),
  };
}
