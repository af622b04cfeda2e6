/**
 * babylon-photo-avatar for Node (package.json `exports` condition `node`): the browser API plus a
 * loader that reads the generated assets from the installed package, and Node-only helpers.
 */
import './node/asset-files.js';

export * from './index.js';
export { nodeAssetDir } from './node/asset-files.js';
export { decodePhoto } from './node/decode-photo.js';
