// The Node.js counterpart of lambdas/shared/aws_calls.py: with AUDIT_AWS_CALLS=1 (provisioning sets it
// against LocalStack only), each AWS call a client makes is one JSON line on stdout, for the suite's
// least-privilege check (tests/integration/test_least_privilege_calls.py). Only what names the
// resource is recorded, never request data. A plain line, not console's: the check parses it whole.

import { flag } from './config.mjs';

const RESOURCE_PARAMETERS = ['TableName', 'QueueUrl', 'EventBusName', 'Source', 'Bucket', 'Key', 'FunctionName'];
// IAM's service prefixes where they differ from the client's name.
const SERVICES = { eventbridge: 'events' };

export function recordCalls(client) {
  if (!flag('AUDIT_AWS_CALLS')) return client;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.clientName.replace(/Client$/, '').toLowerCase();
      const resources = Object.fromEntries(RESOURCE_PARAMETERS.filter((key) => typeof args.input?.[key] === 'string').map((key) => [key, args.input[key]]));
      const call = { service: SERVICES[name] ?? name, operation: context.commandName.replace(/Command$/, ''), resources };
      process.stdout.write(JSON.stringify({ awsCall: call }) + '\n');
      return next(args);
    },
    { step: 'initialize', name: 'shopRecordAwsCalls' },
  );
  return client;
}
