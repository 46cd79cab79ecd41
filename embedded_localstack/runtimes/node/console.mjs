// console in Lambda's text format, as the RIC's LogPatch.js writes it: one line per call, with the
// invocation's request id, to stdout (the environment's log file). Node built-ins only.
import fs from 'node:fs';
import util from 'node:util';

import { toFormatted } from './errors.mjs';

let currentRequestId; // while the handler module loads, AWS's runtime logs 'undefined' here

export function setRequestId(requestId) {
  currentRequestId = requestId;
}
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };

export function writeLine(text) {
  fs.writeSync(1, text + '\n'); // synchronous: the host reads the file as soon as the invocation ends
}

function logText(level, message, ...params) {
  // One line per call: the record's own newlines become CR, so CloudWatch keeps it as one event.
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(message, ...params)}`;
  writeLine(line.replace(/\n/g, '\r'));
}

export function patchConsole() {
  const minimum = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const method = (level) => (LEVELS[level] >= minimum ? (message, ...params) => logText(level, message, ...params) : () => {});
  console.trace = method('TRACE');
  console.debug = method('DEBUG');
  console.info = method('INFO');
  console.log = console.info;
  console.warn = method('WARN');
  console.error = method('ERROR');
  console.fatal = (message, ...params) => logText('FATAL', message, ...params);
}

export function logError(title, error) {
  console.error(title, toFormatted(error));
}
