/**
 * Where the small JSON client (aws-json-client.ts) sends a service's calls, resolved as
 * the SDK resolves it for the partitions Wharf runs in: `aws`, `aws-cn` and `aws-us-gov`,
 * with `AWS_USE_FIPS_ENDPOINT` and `AWS_USE_DUALSTACK_ENDPOINT`, and the SDK's endpoint
 * settings (`AWS_ENDPOINT_URL_<SERVICE_ID>`, `AWS_ENDPOINT_URL`) first. Other partitions
 * (the isolated regions, the European Sovereign Cloud) have hosts of their own: they are
 * refused with the setting to use, not guessed.
 */
import { ValidationError } from '../../core/errors.ts';

/** Region prefixes of partitions whose hosts are not under amazonaws.com(.cn) or api.aws. */
const OTHER_PARTITIONS = ['us-iso-', 'us-isob-', 'us-isof-', 'eu-isoe-', 'eusc-'];

const truthy = (v: string | undefined) => v?.toLowerCase() === 'true';

/** `https://dynamodb.eu-west-1.amazonaws.com`, or its FIPS / dual-stack form. */
export function regionalEndpoint(
  service: string,
  region: string,
  serviceId: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (OTHER_PARTITIONS.some((p) => region.startsWith(p))) {
    throw new ValidationError(
      `region ${region} is in a partition whose ${service} endpoint Wharf does not know: set AWS_ENDPOINT_URL_${serviceId} to it`,
    );
  }
  const fips = truthy(env['AWS_USE_FIPS_ENDPOINT']);
  const dualStack = truthy(env['AWS_USE_DUALSTACK_ENDPOINT']);
  const china = region.startsWith('cn-');
  const host = fips ? `${service}-fips` : service;
  const domain = dualStack
    ? china
      ? 'api.amazonwebservices.com.cn'
      : 'api.aws'
    : china
      ? 'amazonaws.com.cn'
      : 'amazonaws.com';
  return `https://${host}.${region}.${domain}`;
}

/**
 * The endpoint configured for a service the SDK's way (`AWS_ENDPOINT_URL_<SERVICE_ID>`, then
 * `AWS_ENDPOINT_URL`), so that one setting points SDK and small clients alike.
 */
export function configuredEndpoint(
  serviceId: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (truthy(env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'])) return undefined;
  return env[`AWS_ENDPOINT_URL_${serviceId}`] || env['AWS_ENDPOINT_URL'] || undefined;
}

/** The endpoint of a service: the configured one, else the regional one. */
export function endpointFor(
  service: string,
  serviceId: string,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return configuredEndpoint(serviceId, env) ?? regionalEndpoint(service, region, serviceId, env);
}
