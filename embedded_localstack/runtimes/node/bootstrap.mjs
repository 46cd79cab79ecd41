// One Lambda execution environment for a nodejs*.x function, run as a local process (embedded mode).
//
// The Node.js counterpart of ../python/runtime.py, and the same protocol with the host
// (executor/local_process.py): LocalStack posts invocations to a listener on loopback, and the host points
// stdout/stderr at the environment's log file, which this process truncates at each START. Unlike the
// Python runtime, this process opens the listener itself and reports its port: Node cannot make an
// inherited descriptor close-on-exec, so a listener passed in would pass on to every process the
// function starts, which could then accept, and so take, invocations meant for this one. Node opens its
// own descriptors close-on-exec.
// This file reports the init outcome and each invocation's response or error over the executor's
// report pipe (_EMBEDDED_REPORT_FD, report_pipe.py), or to LocalStack's executor endpoint without
// one. Timeouts and MemorySize are enforced by the host, which kills this process.
//
// What the function's code sees follows AWS's Node.js runtime (aws-lambda-nodejs-runtime-interface-
// client, "the RIC"): how the handler is found (UserFunction.js), console in Lambda's text format
// (LogPatch.js), error shapes (Errors.js), callback and callbackWaitsForEmptyEventLoop semantics
// (CallbackContext.js, Runtime.js), each in the module of this folder named for it. Node built-ins only:
// this runs before any package is available.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

import { logError, patchConsole, setRequestId, writeLine } from './console.mjs';
import { runtimeErrors, toRapidResponse } from './errors.mjs';
import { loadHandler } from './handler.mjs';
import { LocalStack, privateReportFd } from './localstack.mjs';
import { installAwsLambdaGlobal, invokeStreaming, isStreaming, StreamedResponse } from './streaming.mjs';

// LocalStack's internal variables: read, then removed before the function's code runs (../python/runtime.py).
const LOCALSTACK_INTERNAL_ENV = [
  'LOCALSTACK_RUNTIME_ENDPOINT', 'LOCALSTACK_RUNTIME_ID', 'LOCALSTACK_INTEROP_PORT',
  'LOCALSTACK_RUNTIME_TRACING_PORT', 'LOCALSTACK_USER', 'LOCALSTACK_CODE_ARCHIVES',
  'LOCALSTACK_HOT_RELOADING_PATHS', 'LOCALSTACK_ENABLE_XRAY_TELEMETRY', 'LOCALSTACK_INIT_LOG_LEVEL',
  'LOCALSTACK_POST_INVOKE_WAIT_MS', 'LOCALSTACK_FUNCTION_ACCOUNT_ID', 'LOCALSTACK_MAX_PAYLOAD_SIZE',
  'LOCALSTACK_CHMOD_PATHS',
];

function maxMemoryUsedMb() {
  try {
    const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return Math.floor(Number(line.split(/\s+/)[1]) / 1024);
  } catch {
    return Math.floor(process.resourceUsage().maxRSS / 1024);
  }
}

// ---- the runtime ------------------------------------------------------------------------------
class Runtime {
  constructor() {
    const env = process.env;
    this.localstack = new LocalStack(env.LOCALSTACK_RUNTIME_ENDPOINT, privateReportFd(env._EMBEDDED_REPORT_FD));
    this.runtimeId = env.LOCALSTACK_RUNTIME_ID;
    this.maxPayloadSize = Number(env.LOCALSTACK_MAX_PAYLOAD_SIZE || 0);
    for (const name of LOCALSTACK_INTERNAL_ENV) delete env[name];
    this.timeoutMs = Number(env.AWS_LAMBDA_FUNCTION_TIMEOUT || 3) * 1000;
    this.memorySize = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '128';
    this.version = env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST';
    this.inbox = [];
    this.current = null; // the invocation in progress
    this.initDurationMs = null;
    this.keepInitOutput = true; // what the module's load printed belongs to the first invocation's log
    // While idle, this keeps the process alive. During an invocation it does not, so that the event
    // loop can empty, which is what callbackWaitsForEmptyEventLoop waits for ('beforeExit').
    this.idle = setInterval(() => {}, 2 ** 30);
  }

  async serve() {
    const server = http.createServer({ keepAlive: true }, (request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const accepted = request.url === '/invoke';
        response.writeHead(accepted ? 202 : 404, { 'Content-Length': 0 });
        response.end();
        if (accepted) this.enqueue(JSON.parse(Buffer.concat(chunks)));
      });
    });
    // One connection for the environment's life, however long it idles between invocations: LocalStack
    // reuses it (executor/invoke_connection.py), and Node would otherwise close it after 5 s (keepAliveTimeout's
    // default).
    server.keepAliveTimeout = 0;
    server.on('connection', (socket) => {
      // LocalStack's connections and the listener must not keep the loop alive either (see `idle`).
      socket.unref();
      // LocalStack makes one connection per runtime (executor/invoke_connection.py), and the listener is
      // for that alone: closed once it is made, it can be handed to no process the function starts, not
      // even on purpose (its descriptor in spawn's stdio). net's close: http's also drops idle connections.
      net.Server.prototype.close.call(server);
      // Nothing can reach this runtime once that connection is gone: it ends, and the executor starts a
      // fresh one for the next invocation.
      socket.on('close', () => process.exit(0));
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    server.unref();
    const address = server.address();
    // Lambda's variable: host:port of the runtime endpoint; here the listener LocalStack posts to.
    process.env.AWS_LAMBDA_RUNTIME_API = `${address.address}:${address.port}`;
    await this.localstack.post('/listening', Buffer.from(String(address.port))); // report_pipe.LISTENING
  }

  async init() {
    const started = performance.now();
    const taskRoot = process.env.LAMBDA_TASK_ROOT;
    process.chdir(taskRoot);
    patchConsole();
    installAwsLambdaGlobal(); // awslambda.streamifyResponse and HttpResponseStream, as on AWS
    try {
      this.handler = await loadHandler(taskRoot, process.env._HANDLER || '');
    } catch (error) {
      logError('Uncaught Exception', error);
      const body = toRapidResponse(error);
      // report_pipe.py's /exiting: main() ends the process after this report.
      if (this.localstack.reportFd !== undefined) await this.localstack.post('/exiting', Buffer.alloc(0));
      await this.localstack.post(`/status/${this.runtimeId}/error`, body);
      return false;
    }
    this.isAsync = this.handler.constructor.name === 'AsyncFunction';
    this.initDurationMs = performance.now() - started;
    await this.localstack.post(`/status/${this.runtimeId}/ready`, {});
    return true;
  }

  enqueue(invocation) {
    this.inbox.push(invocation);
    if (!this.current) this.next();
  }

  next() {
    const invocation = this.inbox.shift();
    if (invocation) setImmediate(() => this.invoke(invocation));
  }

  invoke(invocation) {
    const requestId = invocation['invoke-id'];
    setRequestId(requestId);
    process.env._X_AMZN_TRACE_ID = invocation['trace-id'] || '';
    if (this.keepInitOutput) this.keepInitOutput = false;
    else fs.ftruncateSync(1, 0);
    writeLine(`START RequestId: ${requestId} Version: ${this.version}`);
    this.idle.unref();

    const started = performance.now();
    const deadline = started + this.timeoutMs;
    let waitForEmptyEventLoop = true;
    let settled = false;
    const current = (this.current = { requestId, started, finish: null });
    const finish = (error, result) => {
      if (settled) return;
      settled = true;
      current.finish = null;
      this.finish(requestId, started, error, result);
    };
    // The outcome once the event loop is empty, as the RIC's BeforeExitListener decides it.
    current.onEmptyLoop = this.isAsync
      ? () => finish(new Error('The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes'))
      : () => finish(null, null);
    current.fail = (error) => finish(error ?? 'handled');

    const callback = (error, result) => {
      if (error !== undefined && error !== null) return finish(error);
      if (!waitForEmptyEventLoop) return finish(null, result);
      current.onEmptyLoop = () => finish(null, result);
    };
    const done = (error, result) => finish(error !== undefined && error !== null ? error : null, result);
    const env = process.env;
    const context = {
      get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop; },
      set callbackWaitsForEmptyEventLoop(value) { waitForEmptyEventLoop = value; },
      succeed: (result) => done(null, result),
      fail: (error) => done(error ?? 'handled'),
      done,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: invocation['invoked-function-arn'] || '',
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: requestId,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      identity: undefined,
      clientContext: undefined,
      getRemainingTimeInMillis: () => Math.max(0, Math.floor(deadline - performance.now())),
    };
    try {
      const event = JSON.parse(invocation.payload || '{}');
      if (isStreaming(this.handler)) return invokeStreaming(this.handler, event, context, done);
      const result = this.handler(event, context, callback);
      if (result && typeof result.then === 'function') {
        result.then((value) => done(null, value), (error) => done(error ?? 'handled'));
      }
    } catch (error) {
      callback(error);
    }
  }

  async finish(requestId, started, error, result) {
    let outcome = 'response';
    let body;
    if (error !== null && error !== undefined) {
      logError('Invoke Error', error);
      body = toRapidResponse(error);
      outcome = 'error';
    } else {
      try {
        body = result instanceof StreamedResponse ? result.bytes : Buffer.from(JSON.stringify(result === undefined ? null : result));
      } catch (e) {
        logError('Invoke Error', e);
        body = toRapidResponse(e);
        outcome = 'error';
      }
      if (outcome === 'response' && this.maxPayloadSize && body.length > this.maxPayloadSize) {
        // What LocalStack's runtime-init (and AWS) answer instead of the response.
        body = {
          errorMessage: `Response payload size exceeded maximum allowed payload size (${this.maxPayloadSize} bytes).`,
          errorType: 'Function.ResponseSizeTooLarge',
        };
        outcome = 'error';
      }
    }
    this.writeEnd(requestId, performance.now() - started);
    this.current = null;
    this.idle.ref();
    await this.localstack.post(`/invocations/${requestId}/${outcome}`, body);
    this.next();
  }

  writeEnd(requestId, durationMs) {
    let report = `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\t`
      + `Billed Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${this.memorySize} MB\t`
      + `Max Memory Used: ${maxMemoryUsedMb()} MB`;
    if (this.initDurationMs !== null) {
      report += `\tInit Duration: ${this.initDurationMs.toFixed(2)} ms`;
      this.initDurationMs = null;
    }
    writeLine(`END RequestId: ${requestId}\n${report}`);
  }
}

async function main() {
  const parent = process.ppid;
  // An environment must not outlive LocalStack, even when LocalStack is killed with SIGKILL.
  setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
  fs.ftruncateSync(1, 0); // a replaced process's log file still holds its predecessor's last invocation
  const runtime = new Runtime();
  delete process.env._EMBEDDED_RUNTIME_PACKAGES; // the Python runtime's (../python/runtime.py); NODE_PATH is this one's
  delete process.env._EMBEDDED_REPORT_FD; // the runtime (LocalStack above) holds the descriptor

  process.on('beforeExit', () => runtime.current?.onEmptyLoop());
  const fatal = (title, exitCode, error) => {
    logError(title, error);
    // report_pipe.py's /exiting, also between invocations (a timer's uncaught exception): the executor
    // waits for this process to end rather than send it the next invocation.
    if (runtime.localstack.reportFd !== undefined) runtime.localstack.post('/exiting', Buffer.alloc(0));
    const report = runtime.current
      ? runtime.localstack.post(`/invocations/${runtime.current.requestId}/error`, toRapidResponse(error))
      : runtime.localstack.post(`/status/${runtime.runtimeId}/error`, toRapidResponse(error));
    report.finally(() => process.exit(exitCode));
  };
  process.on('uncaughtException', (error) => fatal('Uncaught Exception', 129, error));
  process.on('unhandledRejection', (reason, promise) => {
    const error = new runtimeErrors.UnhandledPromiseRejection(reason?.toString());
    error.reason = reason;
    error.promise = promise;
    fatal('Unhandled Promise Rejection', 128, error);
  });
  process.on('exit', (code) => {
    // process.exit() in the function: its invocation's log still ends as Lambda's does.
    if (runtime.current) {
      const { requestId, started } = runtime.current;
      writeLine(`RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`);
      runtime.writeEnd(requestId, performance.now() - started);
    }
  });

  await runtime.serve();
  if (!(await runtime.init())) process.exit(1);
}

main();
