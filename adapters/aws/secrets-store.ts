/** SecretStore on Secrets Manager: every name lives under the platform's prefix (IAM is scoped to it). */
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import type { SecretStore } from '../../core/ports.ts';
import { type BackoffOptions, awsCall, errorName } from './aws-errors.ts';
import type { SecretsApi } from './secrets-api.ts';

export interface SecretsManagerStoreOptions {
  /** httpSecretsApi in the Lambda functions, sdkSecretsApi elsewhere */
  readonly client: SecretsApi;
  /** e.g. `wharf/`: secret `webhook/myapp` is stored as `wharf/webhook/myapp` */
  readonly prefix: string;
  /** days a deleted secret can be restored; 0 deletes at once */
  readonly recoveryWindowDays?: number;
  readonly backoff?: BackoffOptions;
}

export class SecretsManagerStore implements SecretStore {
  private readonly options: SecretsManagerStoreOptions;

  constructor(options: SecretsManagerStoreOptions) {
    this.options = options;
  }

  /** The full Secrets Manager name, for task definitions' `valueFrom`. */
  secretId(name: string): string {
    if (!/^[A-Za-z0-9/_+=.@-]{1,400}$/.test(name)) {
      throw new ValidationError(`invalid secret name "${name}": use letters, digits and /_+=.@-`);
    }
    return `${this.options.prefix}${name}`;
  }

  async get(name: string): Promise<string | null> {
    const id = this.secretId(name);
    try {
      const out = await awsCall(
        `read secret ${name}`,
        () => this.options.client.getSecretValue({ SecretId: id }),
        this.options.backoff,
      );
      return out?.SecretString ?? (out?.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : null);
    } catch (e) {
      if (e instanceof NotFoundError) return null;
      // A secret scheduled for deletion reads as InvalidRequestException: it is gone for callers.
      if (e instanceof ValidationError && errorName(e.cause) === 'InvalidRequestException') return null;
      throw e;
    }
  }

  async put(name: string, value: string): Promise<void> {
    const id = this.secretId(name);
    const what = `store secret ${name}`;
    const client = this.options.client;
    try {
      await awsCall(
        what,
        () => client.putSecretValue({ SecretId: id, SecretString: value }),
        this.options.backoff,
      );
    } catch (e) {
      if (e instanceof NotFoundError) {
        await awsCall(
          what,
          () => client.createSecret({ Name: id, SecretString: value }),
          this.options.backoff,
        );
        return;
      }
      if (e instanceof ValidationError && errorName(e.cause) === 'InvalidRequestException') {
        // Deleted within its recovery window: bring it back, then write the new value.
        await awsCall(what, () => client.restoreSecret({ SecretId: id }), this.options.backoff);
        await awsCall(
          what,
          () => client.putSecretValue({ SecretId: id, SecretString: value }),
          this.options.backoff,
        );
        return;
      }
      throw e;
    }
  }

  async delete(name: string): Promise<void> {
    const id = this.secretId(name);
    const days = this.options.recoveryWindowDays ?? 7;
    try {
      await awsCall(
        `delete secret ${name}`,
        () =>
          this.options.client.deleteSecret(
            days === 0
              ? { SecretId: id, ForceDeleteWithoutRecovery: true }
              : { SecretId: id, RecoveryWindowInDays: days },
          ),
        this.options.backoff,
      );
    } catch (e) {
      if (e instanceof NotFoundError) return;
      // Already deleted within its recovery window: Secrets Manager refuses a second schedule.
      if (e instanceof ValidationError && errorName(e.cause) === 'InvalidRequestException') return;
      throw e;
    }
  }
}
