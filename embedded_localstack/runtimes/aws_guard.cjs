// Network guard of a Node.js process of a function (embedded mode), the counterpart of aws_guard.py.
// Preloaded into the runtime and every node the function starts (NODE_OPTIONS=--require, set by
// aws_guard.py's environment()), before any of the function's code.
//
// A connection to an AWS hostname (*.amazonaws.com, *.amazonaws.com.cn, *.aws, which includes
// *.api.aws and *.on.aws) lands in LocalStack, as LocalStack's DNS makes it land in Docker mode: an SDK
// that ignores AWS_ENDPOINT_URL (AWS SDK for JavaScript v3 before 3.450, an endpoint pinned in code)
// still reaches this machine's LocalStack, never real AWS. TLS to such a host is accepted from
// LocalStack's own certificate; the request keeps its Host header and signature, by which LocalStack
// routes it. Other hosts are reached as usual, unless EMBEDDED_LAMBDA_ALLOW_INTERNET=0: then only
// this machine is, and anything else fails at once with an error that says so.
//
// One hook does the work: net.Socket.prototype.connect, which every TCP connection passes through
// (net.connect, tls.connect, http, https, fetch). tls.connect is wrapped only to accept LocalStack's
// certificate, dns.lookup only so that a library resolving names itself gets LocalStack's address.
// Not covered: sockets that a native addon opens, and UDP. Node built-ins only; runs on Node 12 and up.
'use strict';

const dns = require('dns');
const net = require('net');
const tls = require('tls');
const nodeModule = require('module');

const GATEWAY_VARIABLE = 'EMBEDDED_LAMBDA_GATEWAY';
const INTERNET_VARIABLE = 'EMBEDDED_LAMBDA_ALLOW_INTERNET';
const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|aws)\.?$/i;

const env = process.env;
const functionName = env.AWS_LAMBDA_FUNCTION_NAME || 'this function';
const gateway = (() => {
  const value = env[GATEWAY_VARIABLE] || '';
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  return colon > 0 && port > 0 ? { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port } : null;
})();
const internetAllowed = env[INTERNET_VARIABLE] !== '0';

function isAwsHost(host) {
  return typeof host === 'string' && AWS_HOST.test(host);
}

function isLocal(host) {
  const name = String(host).toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  return name === '::1' || name.startsWith('::ffff:127.');
}

function refusal(host, port, reason, fix) {
  const where = port ? `${host}:${port}` : host;
  const error = new Error(`${functionName} tried to connect to ${where}: refused by embedded mode, ${reason}. ${fix}`);
  error.code = 'ECONNREFUSED';
  error.host = host;
  error.port = port;
  return error;
}

const announced = new Set();

// Where a connection to host:port goes: null for as asked, {host, port} for LocalStack, or an Error.
function route(host, port) {
  if (isAwsHost(host)) {
    if (!gateway) {
      return refusal(host, port, `which is AWS, and ${GATEWAY_VARIABLE} does not say where LocalStack is`,
        `Keep ${GATEWAY_VARIABLE} in the function's environment, or point its SDK at AWS_ENDPOINT_URL.`);
    }
    if (!announced.has(host)) {
      announced.add(host);
      process.stderr.write(`[embedded runtime] ${functionName}: ${host}:${port} is AWS, sent to LocalStack at `
        + `${gateway.host}:${gateway.port} (the function's SDK did not use AWS_ENDPOINT_URL)\n`);
    }
    return gateway;
  }
  if (!internetAllowed && !isLocal(host)) {
    return refusal(host, port, `${INTERNET_VARIABLE}=0 keeps functions on this machine`,
      `To allow it, set ${INTERNET_VARIABLE}=1 (config/localstack.env, or the function's environment).`);
  }
  return null;
}

// tls.connect's own argument forms: (options[, cb]), (port[, host][, options][, cb]).
function tlsArguments(args) {
  const [options, callback] = net._normalizeArgs(args);
  if (args[1] !== null && typeof args[1] === 'object') Object.assign(options, args[1]);
  else if (args[2] !== null && typeof args[2] === 'object') Object.assign(options, args[2]);
  return [options, callback];
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  // Node's own callers pass an already normalised [options, callback] array.
  const [options, callback] = Array.isArray(args[0]) ? args[0] : net._normalizeArgs(args);
  if (options.path !== undefined && options.path !== null) return originalConnect.apply(this, args);
  const target = route(options.host || 'localhost', options.port);
  if (target === null) return originalConnect.apply(this, args);
  if (target instanceof Error) {
    process.nextTick(() => this.destroy(target));
    return this;
  }
  const rewritten = { ...options, host: target.host, port: target.port };
  delete rewritten.lookup; // an address needs no lookup
  return callback ? originalConnect.call(this, rewritten, callback) : originalConnect.call(this, rewritten);
};

const originalTlsConnect = tls.connect;
tls.connect = function connect(...args) {
  const [options, callback] = tlsArguments(args);
  if (options.socket || !gateway || !isAwsHost(options.host)) return originalTlsConnect.apply(this, args);
  // LocalStack answers with its own certificate; the connection goes to it alone (see route()).
  const accepting = {
    ...options,
    servername: options.servername || options.host,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  return callback ? originalTlsConnect.call(this, accepting, callback) : originalTlsConnect.call(this, accepting);
};

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const done = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  const target = typeof done === 'function' ? route(hostname, 0) : null;
  if (target === null) return originalLookup.apply(this, arguments);
  process.nextTick(() => {
    if (target instanceof Error) done(Object.assign(target, { hostname }));
    else if (all) done(null, [{ address: target.host, family: net.isIPv6(target.host) ? 6 : 4 }]);
    else done(null, target.host, net.isIPv6(target.host) ? 6 : 4);
  });
  return {};
};

const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = function lookup(hostname, options) {
  const target = route(hostname, 0);
  if (target === null) return originalPromisesLookup.apply(this, arguments);
  if (target instanceof Error) return Promise.reject(Object.assign(target, { hostname }));
  const address = { address: target.host, family: net.isIPv6(target.host) ? 6 : 4 };
  return Promise.resolve(options && options.all ? [address] : address);
};

// `import { connect } from 'node:tls'` in an ES module sees the wrapped functions too.
if (nodeModule.syncBuiltinESMExports) nodeModule.syncBuiltinESMExports();

module.exports = { isAwsHost, isLocal, route };
