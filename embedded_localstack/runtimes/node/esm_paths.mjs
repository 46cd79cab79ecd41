// Module resolution hook for ES module functions (bootstrap.mjs registers it): a bare specifier that
// Node's own resolution does not find is looked up in NODE_PATH's folders, which is where the runtime's
// AWS SDK is, as Lambda's Node.js runtimes let ES modules import it. Node built-ins only.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const folders = (process.env.NODE_PATH || '').split(':').filter((folder) => folder.endsWith('/node_modules'));

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\.|\/|[a-z]+:)/.test(specifier)) throw error;
    for (const folder of folders) {
      // Resolved as if imported from beside that node_modules folder: with the import conditions.
      const parentURL = pathToFileURL(path.join(path.dirname(folder), 'importer.mjs')).href;
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not there either: the next folder, then the original error
      }
    }
    throw error;
  }
}
