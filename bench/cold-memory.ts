/**
 * Where a cold create's time and memory go, step by step in one fresh process: module imports, the
 * pack decode, the four face-model sessions, the pipeline (fit + albedo) and the compact GLB, with
 * resident memory and JavaScript heap / ArrayBuffer memory after each.
 *   npx tsx bench/cold-memory.ts [--tiering] [pack file]     (default: the embedded default head)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../test/helpers/shared-data.js';

const started = performance.now();
function mark(label: string): void {
  const memory = process.memoryUsage();
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`.padStart(8);
  console.log(`${label.padEnd(30)} ${((performance.now() - started) / 1000).toFixed(2).padStart(6)} s   RSS ${mib(memory.rss)}   JS heap ${mib(memory.heapUsed)}   ArrayBuffers ${mib(memory.arrayBuffers)}`);
}

mark('start');
await import('../src/node/asset-files.js');
// As the CLI's create does (src/node/one-avatar-process.ts); --tiering measures V8's and ort's defaults instead.
if (!process.argv.includes('--tiering')) (await import('../src/node/one-avatar-process.js')).configureOneAvatarProcess();
const { decodeImage } = await import('../src/image/decode.js');
const { readPack } = await import('../src/modelpack/format.js');
const pipeline = await import('../src/pipeline.js');
const { writeCompactGlb } = await import('../src/export/compact-glb.js');
mark('modules imported');
const packFile = process.argv.slice(2).find((arg) => arg !== '--tiering');
const model = packFile ? readPack(new Uint8Array(readFileSync(packFile))) : await pipeline.loadDefaultHead();
mark(`pack decoded (${packFile ? path.basename(packFile) : 'default head'})`);
await pipeline.getFaceAnalyzer('wasm');
mark('4 face-model sessions');
const photo = decodeImage(readFileSync(path.join(projectRoot, 'assets', 'generated', 'sample-photo.jpg'))).image;
const data = await pipeline.createAvatarData(photo, { backend: 'wasm', model });
mark('fit + albedo');
const glb = await writeCompactGlb(data);
mark(`compact GLB (${(glb.byteLength / 1024).toFixed(0)} KiB)`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
