/**
 * Node-only: lets the WebP encoder (src/export/webp.ts) read its WASM from the installed
 * @jsquash/webp package, since the codec's own loader fetches it by URL, which Node cannot do for
 * files. Imported by the node entry and the CLI; browsers never see it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setWebpWasmReader } from '../export/webp.js';

// Node 20 always has WASM SIMD, so the codec picks its SIMD build, whose WASM this is.
setWebpWasmReader(async () => new Uint8Array(await readFile(createRequire(import.meta.url).resolve('@jsquash/webp/codec/enc/webp_enc_simd.wasm'))));
