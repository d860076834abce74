/**
 * The Secrets Manager calls SecretsManagerStore makes, in the SDK's shapes. Two
 * implementations: `httpSecretsApi` over the small JSON client (what the Lambda functions
 * use: the webhook reads a secret on every delivery, and the SDK client's import alone costs
 * more than the cold start budget) and `sdkSecretsApi` over the SDK's client
 * (secrets-sdk-api.ts). The SDK's types are imported as types only: nothing of it loads here.
 */
import { randomUUID } from 'node:crypto';
import type {
  CreateSecretCommandInput,
  CreateSecretCommandOutput,
  DeleteSecretCommandInput,
  DeleteSecretCommandOutput,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
  PutSecretValueCommandInput,
  PutSecretValueCommandOutput,
  RestoreSecretCommandInput,
  RestoreSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import type { AwsJsonClient } from './aws-json-client.ts';

type Out<T> = Omit<T, '$metadata'>;

export interface SecretsApi {
  getSecretValue(input: GetSecretValueCommandInput): Promise<Out<GetSecretValueCommandOutput>>;
  putSecretValue(input: PutSecretValueCommandInput): Promise<Out<PutSecretValueCommandOutput>>;
  createSecret(input: CreateSecretCommandInput): Promise<Out<CreateSecretCommandOutput>>;
  deleteSecret(input: DeleteSecretCommandInput): Promise<Out<DeleteSecretCommandOutput>>;
  restoreSecret(input: RestoreSecretCommandInput): Promise<Out<RestoreSecretCommandOutput>>;
}

type Wire = Record<string, unknown>;

/** awsJson1_1 sends timestamps as epoch seconds (with a fraction); the SDK hands out Dates. */
function toDate(value: unknown): unknown {
  if (typeof value === 'number') return new Date(Math.round(value * 1000));
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value))) {
    return new Date(Math.round(Number(value) * 1000));
  }
  return value;
}

function fromWire(out: Wire): Wire {
  const plain: Wire = { ...out };
  if (typeof plain['SecretBinary'] === 'string') {
    // the SDK hands out a plain Uint8Array, not a Buffer
    plain['SecretBinary'] = new Uint8Array(Buffer.from(plain['SecretBinary'], 'base64'));
  }
  for (const field of ['CreatedDate', 'DeletionDate'] as const) {
    if (plain[field] !== undefined) plain[field] = toDate(plain[field]);
  }
  if (Array.isArray(plain['ReplicationStatus'])) {
    plain['ReplicationStatus'] = (plain['ReplicationStatus'] as Wire[]).map((r) =>
      r['LastAccessedDate'] === undefined ? r : { ...r, LastAccessedDate: toDate(r['LastAccessedDate']) },
    );
  }
  return plain;
}

/**
 * A value-writing call's input as the wire wants it: binary as base64, and a
 * ClientRequestToken. The SDK makes that token up when it is not given; a raw HTTP caller
 * must send one itself. Made once per call, so the client's retries of a transient fault
 * repeat the same token and Secrets Manager keeps the write idempotent.
 */
function valueInput(input: {
  SecretBinary?: Uint8Array | undefined;
  ClientRequestToken?: string | undefined;
}): Wire {
  const wire: Wire = { ...input, ClientRequestToken: input.ClientRequestToken ?? randomUUID() };
  if (input.SecretBinary !== undefined)
    wire['SecretBinary'] = Buffer.from(input.SecretBinary).toString('base64');
  return wire;
}

/** Secrets Manager's JSON protocol, for `new AwsJsonClient({ ...SECRETS_MANAGER_PROTOCOL, region, credentials })`. */
export const SECRETS_MANAGER_PROTOCOL = {
  service: 'secretsmanager',
  serviceId: 'SECRETS_MANAGER',
  targetPrefix: 'secretsmanager',
  jsonVersion: '1.1',
} as const;

/** Secrets Manager's wire format over `client` (an AwsJsonClient for `secretsmanager`, JSON 1.1). */
export function httpSecretsApi(client: AwsJsonClient): SecretsApi {
  const call = async <T>(operation: string, input: object): Promise<T> =>
    fromWire(await client.call<Wire>(operation, input)) as T;
  return {
    getSecretValue: (input) => call('GetSecretValue', input),
    putSecretValue: (input) => call('PutSecretValue', valueInput(input)),
    createSecret: (input) => call('CreateSecret', valueInput(input)),
    deleteSecret: (input) => call('DeleteSecret', input),
    restoreSecret: (input) => call('RestoreSecret', input),
  };
}
