/** Loaded on first use of the log store (see ../lazy-log-store.ts): the CloudWatch Logs client and adapter. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogStore } from '../../../adapters/aws/cloudwatch-log-store.ts';

export function makeLogStore(region: string, groupPrefix: string): CloudWatchLogStore {
  return new CloudWatchLogStore({ client: new CloudWatchLogsClient({ region }), groupPrefix });
}
