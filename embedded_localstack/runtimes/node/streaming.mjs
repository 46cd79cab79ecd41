// Response streaming for Node.js functions: the `awslambda` global of AWS's Node.js runtime
// (aws-lambda-nodejs-runtime-interface-client, "the RIC": index.mjs, HttpResponseStream.js,
// ResponseStream.js), which bootstrap.mjs installs before the handler's module loads.
//
// awslambda.streamifyResponse(handler) marks a handler that is called as handler(event, responseStream,
// context) and answers by writing to the stream. LocalStack 4.14.0 Community has no
// InvokeWithResponseStream: Invoke and function URLs are buffered, so the stream is collected and the
// invocation answers with its bytes once it ends, as AWS answers a buffered Invoke of such a function.
// awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies}) writes the RIC's prelude
// first: that JSON, then 8 zero bytes, then the body. LocalStack's function URL router reads this
// shape (urlrouter.lambda_result_to_response), so a function URL answers with that status and headers.
// Node built-ins only.
import { Writable } from 'node:stream';

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';
const METADATA_PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER_LENGTH = 8;

class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(DELIMITER_LENGTH));
    };
    return underlyingStream;
  }
}

export function installAwsLambdaGlobal() {
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[STREAMING] = STREAM_RESPONSE;
      if (Number.isInteger(options?.highWaterMark)) handler[HIGH_WATER_MARK] = options.highWaterMark;
      return handler;
    },
    HttpResponseStream,
  };
}

export function isStreaming(handler) {
  return handler?.[STREAMING] === STREAM_RESPONSE;
}

// What a streaming invocation answers with: the stream's bytes, sent as they are (not as JSON).
export class StreamedResponse {
  constructor(bytes) {
    this.bytes = bytes;
  }
}

// Calls a streamified handler; `done(error, StreamedResponse)` once the stream has ended (or the
// handler failed). A handler whose promise settles without ending the stream has its stream ended.
export function invokeStreaming(handler, event, context, done) {
  const chunks = [];
  let written = false;
  const beforeFirstWrite = () => {
    if (written) return;
    written = true;
    stream._onBeforeFirstWrite?.((data) => chunks.push(Buffer.from(data)));
  };
  const stream = new Writable({
    highWaterMark: handler[HIGH_WATER_MARK],
    write(chunk, encoding, callback) {
      beforeFirstWrite();
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
      callback();
    },
    final(callback) {
      beforeFirstWrite(); // an empty body still carries its prelude
      callback();
    },
  });
  stream.setContentType = (contentType) => {
    stream.contentType = contentType;
  };
  stream.on('finish', () => done(null, new StreamedResponse(Buffer.concat(chunks))));
  stream.on('error', (error) => done(error));
  const result = handler(event, stream, context);
  if (result && typeof result.then === 'function') {
    result.then(
      () => stream.writableEnded || stream.end(),
      (error) => done(error ?? 'handled'),
    );
  }
}
