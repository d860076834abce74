import { stateStoreContract } from './state-store.contract.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { FakeTable, fakeDocumentClient } from '../aws/fake-dynamo.ts';

stateStoreContract('DynamoDB (aws-sdk-client-mock over an in-memory table)', async () => {
  const table = new FakeTable();
  const { client, mock } = fakeDocumentClient(table);
  const store = new DynamoStateStore({ client, tableName: 'wharf', backoff: { sleep: async () => {} } });
  return { store, close: () => mock.restore() };
});
