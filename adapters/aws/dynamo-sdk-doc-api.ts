/** The adapters' DynamoDB calls over the SDK's DocumentClient (tests mock it with aws-sdk-client-mock). */
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDocApi } from './dynamo-doc-api.ts';

export function sdkDocApi(doc: DynamoDBDocumentClient): DynamoDocApi {
  return {
    get: (input) => doc.send(new GetCommand(input)),
    put: (input) => doc.send(new PutCommand(input)),
    delete: (input) => doc.send(new DeleteCommand(input)),
    update: (input) => doc.send(new UpdateCommand(input)),
    query: (input) => doc.send(new QueryCommand(input)),
    batchWrite: (input) => doc.send(new BatchWriteCommand(input)),
  };
}
