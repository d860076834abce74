/** Loaded on first use of discovery: the Cloud Map client and adapter. */
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { CloudMapDiscovery } from '../../../adapters/aws/cloudmap-discovery.ts';

export function makeDiscovery(
  region: string,
  namespaceId: string,
  namespaceName: string,
  namePrefix: string,
): CloudMapDiscovery {
  return new CloudMapDiscovery({
    client: new ServiceDiscoveryClient({ region }),
    namespaceId,
    namespaceName,
    namePrefix,
  });
}
