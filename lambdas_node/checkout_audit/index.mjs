// The checkout audit: a second consumer of CheckoutBasket (CheckoutBasketRule's target next to
// OrderQueue and the notification function). It records each checkout once in the checkout-audit
// table, keyed by checkoutId, with what an analyst needs and nothing of the card. EventBridge invokes
// it asynchronously: a failure (an event that breaks the contract, too) is retried twice, then recorded
// in checkout-audit-failures.
// Bundled by esbuild (infra/node_archives.py); the AWS SDK is the runtime's, not bundled.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

import { recordCalls } from '../shared/aws_calls.mjs';
import { executionEnv, requireEnv } from '../shared/config.mjs';
import { auditRecord } from './record.mjs';

// Outside the handler: one client per execution environment, reused by warm invocations.
const table = DynamoDBDocumentClient.from(recordCalls(new DynamoDBClient({})));

// One JSON line with the keys and timestamp format of the Python functions' Powertools lines, which
// `make trace` (tools/trace.py) reads from CloudWatch Logs. Written whole to stdout: console.log
// would prefix it (time, request id, level) on AWS, and the line would no longer parse.
const log = (message, detail) => {
  const timestamp = new Date().toISOString().replace('T', ' ').replace('.', ',').replace('Z', '+0000');
  const line = { level: 'INFO', message, timestamp, service: 'checkout-audit', checkout_id: detail.checkoutId, correlation_id: detail.correlationId };
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

export const handler = async (event) => {
  const record = auditRecord(event, new Date().toISOString(), executionEnv());
  const { detail } = event;
  try {
    await table.send(new PutCommand({
      TableName: requireEnv('TABLE_NAME'),
      Item: record,
      // EventBridge may deliver an event more than once: the first record stands.
      ConditionExpression: 'attribute_not_exists(checkoutId)',
    }));
    log('checkout audit recorded', detail);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    log('checkout audit already recorded', detail);
  }
  return { checkoutId: record.checkoutId };
};
