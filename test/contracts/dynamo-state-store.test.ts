import { stateStoreContract } from './state-store.contract.ts';
import { AwsJsonClient } from '../../adapters/aws/aws-json-client.ts';
import { httpDocApi, DYNAMODB_PROTOCOL } from '../../adapters/aws/dynamo-doc-api.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { FakeTable, fakeDocumentClient } from '../aws/fake-dynamo.ts';
import { startFakeDynamoHttp } from '../aws/fake-dynamo-http.ts';

stateStoreContract('DynamoDB (aws-sdk-client-mock over an in-memory table)', async () => {
  const table = new FakeTable();
  const { client, mock } = fakeDocumentClient(table);
  const store = new DynamoStateStore({ client, tableName: 'wharf', backoff: { sleep: async () => {} } });
  return { store, close: () => mock.restore() };
});

// What the Lambda functions run: the signed fetch client, over HTTP, every signature checked.
stateStoreContract('DynamoDB (the functions’ HTTP client over the in-memory table)', async () => {
  const credentials = { accessKeyId: 'AKIDCONTRACT', secretAccessKey: 'contract-secret' };
  const server = await startFakeDynamoHttp(new FakeTable(), { credentials, region: 'eu-west-1' });
  const client = httpDocApi(
    new AwsJsonClient({
      ...DYNAMODB_PROTOCOL,
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: () => credentials,
    }),
    { removeUndefinedValues: true },
  );
  const store = new DynamoStateStore({ client, tableName: 'wharf', backoff: { sleep: async () => {} } });
  return { store, close: () => server.close() };
});
