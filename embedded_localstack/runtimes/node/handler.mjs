// The function's handler, found and loaded as the RIC's UserFunction.js does: CommonJS or ES module,
// by extension and the nearest package.json's type. Node built-ins only.
import fs from 'node:fs';
// (module.register is new in Node 18.19 and 20.6: not a named import, which would fail to link on older ones)
import nodeModule from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { runtimeErrors } from './errors.mjs';

const require = nodeModule.createRequire(import.meta.url);

function hasTypeModule(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const manifest = path.join(folder, 'package.json');
  if (fs.existsSync(manifest)) {
    try {
      return JSON.parse(fs.readFileSync(manifest)).type === 'module';
    } catch (e) {
      console.warn(`${manifest} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  return folder === '/' ? false : hasTypeModule(path.resolve(folder, '..'));
}

let esmPathsRegistered = false;

async function importFile(file) {
  if (!fs.existsSync(file)) return undefined;
  if (!esmPathsRegistered && nodeModule.register && process.env.NODE_PATH) {
    // As on Lambda, `import '@aws-sdk/...'` from an ES module finds the runtime's SDK; Node's own ES
    // module resolution ignores NODE_PATH. Only for ES modules: the hook runs on a loader thread.
    nodeModule.register('./esm_paths.mjs', import.meta.url);
    esmPathsRegistered = true;
  }
  return import(pathToFileURL(file).href);
}

function requireFile(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function loadModule(appRoot, moduleRoot, module) {
  const file = path.resolve(appRoot, moduleRoot, module);
  const extensionless = requireFile(file);
  if (extensionless) return extensionless;
  const typeModule = fs.existsSync(file + '.js') && hasTypeModule(path.dirname(file + '.js'));
  if (!typeModule) {
    const loaded = requireFile(file + '.js');
    if (loaded) return loaded;
  }
  const loaded = (typeModule && (await importFile(file + '.js'))) || (await importFile(file + '.mjs')) || requireFile(file + '.cjs');
  if (loaded) return loaded;
  return require(require.resolve(module, { paths: [appRoot, moduleRoot] }));
}

export async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new runtimeErrors.MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(moduleAndHandler));
  const match = moduleAndHandler.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new runtimeErrors.MalformedHandlerName('Bad handler');
  const [, module, handlerPath] = match;
  let app;
  try {
    app = await loadModule(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) throw new runtimeErrors.UserCodeSyntaxError(e);
    if (e?.code === 'MODULE_NOT_FOUND') throw new runtimeErrors.ImportModuleError(e);
    throw e;
  }
  const handler = handlerPath.split('.').reduce((nested, key) => nested && nested[key], app);
  if (!handler) throw new runtimeErrors.HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function') throw new runtimeErrors.HandlerNotFound(`${fullHandler} is not a function`);
  return handler;
}
