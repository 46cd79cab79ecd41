// The checkout audit: a second consumer of CheckoutBasket (CheckoutBasketRule's target next to
// OrderQueue and the notification function). It records each checkout once in the checkout-audit
// table, keyed by checkoutId, with what an analyst needs and nothing of the card. EventBridge invokes
// it asynchronously: a failure is retried twice, then recorded in checkout-audit-failures.
// Bundled by esbuild (infra/node_archives.py); the AWS SDK is the runtime's, not bundled.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

import { recordCalls } from '../shared/aws_calls.mjs';
import { auditRecord } from './record.mjs';

// Outside the handler: one client per execution environment, reused by warm invocations.
const table = DynamoDBDocumentClient.from(recordCalls(new DynamoDBClient({})));

export const handler = async (event) => {
  const record = auditRecord(event, new Date().toISOString(), process.env.AWS_EXECUTION_ENV);
  try {
    await table.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: record,
      // EventBridge may deliver an event more than once: the first record stands.
      ConditionExpression: 'attribute_not_exists(checkoutId)',
    }));
    console.log(`audit recorded checkoutId=${record.checkoutId}`);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    console.log(`audit already recorded checkoutId=${record.checkoutId}`);
  }
  return { checkoutId: record.checkoutId };
};
