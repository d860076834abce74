import { WharfError } from '../../../core/errors.ts';

export class InstanceStartError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, options);
    this.name = 'InstanceStartError';
  }
}

export class SupervisorClosedError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, options);
    this.name = 'SupervisorClosedError';
  }
}
