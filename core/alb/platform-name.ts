/**
 * The platform's name prefixes every AWS name the control plane creates (ECS services and
 * task families, target groups, scaling policies, Cloud Map request ids), because the
 * platform's IAM policy grants on `<name>-*`. The infra accepts 2-12 characters
 * (infra/props.ts); the same rule is checked here for the Lambdas' `WHARF_NAME`, so a bad
 * value fails at start rather than as AccessDenied or an over-long target group name.
 */
import { ValidationError } from '../errors.ts';

export const DEFAULT_NAME_PREFIX = 'wharf';

const PLATFORM_NAME = /^[a-z][a-z0-9-]{0,10}[a-z0-9]$/;

export function validatePlatformName(name: string, source = 'WHARF_NAME'): string {
  if (!PLATFORM_NAME.test(name)) {
    throw new ValidationError(
      `${source} '${name}' is not a usable platform name: use 2-12 lowercase letters, digits or '-', starting with a letter (it prefixes AWS names limited to 32 characters)`,
      { details: { field: source, value: name } },
    );
  }
  return name;
}
