// The Node.js twin of runtime_probe/app.py: a function whose behaviour the event chooses, to check
// the Lambda runtime's semantics. Same actions, same answers (Python's field names), so that the tests
// in test_lambda_runtime.py run unchanged for both runtimes.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

// Module state: survives across warm invocations of one execution environment, and only those.
let invocations = 0;
const loadedAt = Date.now() / 1000;

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

exports.handler = async (event, context) => {
  invocations += 1;
  if ('requestContext' in event) { // called through API Gateway's proxy integration
    return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ invocations }) };
  }
  const action = event.action || 'describe';
  console.log(`probe action=${action} invocation=${invocations}`);
  switch (action) {
    case 'raise': {
      const error = new TypeError(`probe failure: ${event.message || 'boom'}`);
      throw error;
    }
    case 'sleep':
      await sleep(event.seconds);
      break;
    case 'exit':
      process.exit(event.code ?? 3);
      break;
    case 'print': { // a flood of output
      const chunk = 'x'.repeat(1023) + '\n';
      for (let i = 0; i < Math.floor(event.bytes / 1024); i++) process.stdout.write(chunk);
      break;
    }
    case 'leak': { // allocate until something stops us
      const hoard = [];
      for (;;) {
        hoard.push(Buffer.alloc(8 * 2 ** 20, 1));
        await sleep(0.01);
      }
    }
    case 'respond': // a response whose JSON is exactly this many bytes
      return 'x'.repeat(event.bytes - 2);
    case 'repeat':
      return event.text.repeat(event.count);
    case 'lines':
      for (let number = 0; number < event.count; number++) process.stdout.write(`line ${String(number).padStart(6, '0')} ${'y'.repeat(80)}\n`);
      process.stdout.write('z'.repeat(event.long) + '\n');
      process.stdout.write('after the long line\n');
      break;
    case 'environ': {
      const scratch = os.tmpdir();
      const file = path.join(scratch, `probe-${process.pid}`);
      fs.writeFileSync(file, 'scratch');
      fs.unlinkSync(file);
      return {
        environ: { ...process.env },
        cwd: process.cwd(),
        tmp: scratch,
        node: process.versions.node,
        executable: process.execPath,
        prefix: path.dirname(path.dirname(process.execPath)),
      };
    }
    case 'ping': // reach LocalStack through the endpoint the runtime hands the function
      return new Promise((resolve, reject) => {
        http.get(`${process.env.AWS_ENDPOINT_URL}/_localstack/health`, (response) => {
          let body = '';
          response.on('data', (chunk) => { body += chunk; });
          response.on('end', () => resolve({ services: Object.keys(JSON.parse(body).services).sort() }));
        }).on('error', reject);
      });
    case 'sdk': { // the AWS SDK the runtime provides, as on Lambda
      const { SQSClient, ListQueuesCommand } = require('@aws-sdk/client-sqs');
      const answer = await new SQSClient({}).send(new ListQueuesCommand({}));
      return { queues: answer.QueueUrls || [] };
    }
    case 'batch': { // an SQS batch: the records whose body says "fail" are reported as failures
      const failures = event.Records.filter((record) => record.body.includes('fail'));
      return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.messageId })) };
    }
    default:
      break;
  }
  if (Array.isArray(event.Records)) { // an SQS batch, without an action
    const failures = event.Records.filter((record) => record.body.includes('fail'));
    return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.messageId })) };
  }
  return {
    invocations,
    loadedAt,
    pid: process.pid,
    version: 'v1',
    start: event.started_at,
    finishedAt: Date.now() / 1000,
    context: {
      aws_request_id: context.awsRequestId,
      function_name: context.functionName,
      function_version: context.functionVersion,
      invoked_function_arn: context.invokedFunctionArn,
      memory_limit_in_mb: Number(context.memoryLimitInMB),
      log_group_name: context.logGroupName,
      log_stream_name: context.logStreamName,
      remaining_ms: context.getRemainingTimeInMillis(),
    },
    env: Object.fromEntries(['AWS_REGION', 'AWS_ACCESS_KEY_ID', '_HANDLER', 'AWS_ENDPOINT_URL'].map((key) => [key, process.env[key]])),
  };
};
