/**
 * The env vars every instance receives so that it can find the others with its
 * language's ordinary DNS client (or the HTTP API) and know which instance it is.
 */
import { DEFAULT_ZONE, instanceName, leaderName, serviceName } from './names.ts';

export interface DiscoveryEnvInput {
  readonly app: string;
  readonly processType: string;
  readonly instanceId: string;
  readonly zone?: string;
  /** `host:port` of the DNS server; omitted on AWS, where the VPC resolver answers */
  readonly dns?: string;
  /** base URL of the HTTP discovery API, ending in /discovery; omitted where there is none */
  readonly url?: string;
}

export function discoveryEnv(input: DiscoveryEnvInput): Record<string, string> {
  const zone = input.zone ?? DEFAULT_ZONE;
  const { app, processType: type, instanceId: id } = input;
  const env: Record<string, string> = {
    WHARF_APP: app,
    WHARF_PROCESS_TYPE: type,
    WHARF_INSTANCE_ID: id,
    WHARF_ZONE: zone,
    WHARF_SERVICE_NAME: serviceName(app, type, zone),
    WHARF_INSTANCE_NAME: instanceName(app, type, id, zone),
    WHARF_LEADER_NAME: leaderName(app, type, zone),
  };
  if (input.dns !== undefined) env['WHARF_DISCOVERY_DNS'] = input.dns;
  if (input.url !== undefined) env['WHARF_DISCOVERY_URL'] = input.url.replace(/\/$/, '');
  return env;
}
