// Errors as AWS's Node.js runtime shapes them (aws-lambda-nodejs-runtime-interface-client, "the RIC":
// Errors.js): the runtime's own Runtime.* errors, the response body of an error, and its logged form.
// Node built-ins only.
import util from 'node:util';

class RuntimeError extends Error {}
export const runtimeErrors = {};
for (const name of ['ImportModuleError', 'HandlerNotFound', 'MalformedHandlerName', 'UserCodeSyntaxError', 'UnhandledPromiseRejection']) {
  runtimeErrors[name] = class extends RuntimeError {};
  runtimeErrors[name].prototype.name = `Runtime.${name}`;
}

function isErrorLike(value) {
  return Boolean(value && typeof value.name === 'string' && value.name && typeof value.message === 'string'
    && value.message && typeof value.stack === 'string');
}

export function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: error.message?.replaceAll('\x7F', '%7F'),
        trace: error.stack.replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// The JSON the RIC logs after "Invoke Error" and friends: the error's own enumerable fields too.
export function toFormatted(error) {
  const withFields = (value) => {
    if (!(value instanceof Error)) return value;
    const fields = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
    if (typeof value.stack === 'string') fields.stack = value.stack.split('\n');
    return fields;
  };
  try {
    return '\t' + JSON.stringify(error, (_key, value) => withFields(value));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}
