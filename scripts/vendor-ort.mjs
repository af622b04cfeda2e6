// Build step, first in `npm run build` (before tsc, which resolves `#ort` to these files): copies
// the few onnxruntime-web files the product runs into assets/generated/, so that onnxruntime-web
// (147 MiB installed: a dozen builds and source maps) is a devDependency only.
//
//   onnxruntime-web/   the JavaScript API the library imports through package.json "imports" #ort:
//                      ort.min.mjs for browsers, ort.node.min.mjs for Node (its thread workers
//                      need the Node build, which takes its API objects from onnxruntime-common).
//   Two WASM builds, each a glue module (imported by URL, and ort's thread workers start from it)
//   and its binary, gzipped (the runtime gunzips it once per process and hands ort the bytes):
//   ort-wasm-simd-threaded.mjs, .wasm.gz            the plain build (14 -> 3.6 MB): the 'wasm'
//                                                   provider, in Node and in browsers without WebGPU.
//   ort-wasm-simd-threaded.jsep.mjs, .jsep.wasm.gz  the JSEP build (28 -> 6.6 MB): adds the 'webgpu'
//                                                   provider; used only when a session may run on
//                                                   WebGPU, since its CPU path is far slower (in Node
//                                                   cold create took 50 s and 2.5 GB against 8 s and
//                                                   0.7 GB on the plain build).
// Plain Node (not TypeScript) because it runs before tsc. Skips the copy when up to date.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'assets', 'generated');
const require = createRequire(import.meta.url);
// Its exports map hides package.json: its `require` entry lies in dist/, one level below the root.
const ortDist = path.dirname(require.resolve('onnxruntime-web'));
const ortPackage = JSON.parse(readFileSync(path.join(ortDist, '..', 'package.json'), 'utf8'));
const ownPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// ort.node.min.mjs imports onnxruntime-common: the dependency must be the exact same version.
const commonWanted = ownPackage.dependencies?.['onnxruntime-common'];
if (commonWanted !== ortPackage.version) {
  throw new Error(`vendor-ort: package.json depends on onnxruntime-common ${commonWanted}, but onnxruntime-web is ${ortPackage.version}; make them equal.`);
}

const BANNER = `// onnxruntime-web ${ortPackage.version} (MIT, Copyright (c) Microsoft Corporation), copied by scripts/vendor-ort.mjs.\n`;
/** Types of the vendored API: onnxruntime-web's own types are onnxruntime-common's. */
const TYPES = `${BANNER}export * from 'onnxruntime-common';\n`;

const API_MODULES = ['ort.min.mjs', 'ort.node.min.mjs'];
const WASM_BUILDS = ['ort-wasm-simd-threaded', 'ort-wasm-simd-threaded.jsep'];
const outputs = [
  ...API_MODULES.map((name) => path.join('onnxruntime-web', name)),
  ...WASM_BUILDS.flatMap((build) => [`${build}.mjs`, `${build}.wasm.gz`]),
];
const stampFile = path.join(outDir, 'onnxruntime-web', 'VERSION');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === ortPackage.version && outputs.every((file) => existsSync(path.join(outDir, file)))) {
  console.log(`vendor-ort: onnxruntime-web ${ortPackage.version} already in ${path.relative(root, outDir)}`);
  process.exit(0);
}

mkdirSync(path.join(outDir, 'onnxruntime-web'), { recursive: true });
/** Writes through a temporary name, so an interrupted build leaves no half file. */
function write(relative, bytes) {
  const file = path.join(outDir, relative);
  writeFileSync(`${file}.tmp`, bytes);
  renameSync(`${file}.tmp`, file);
  console.log(`  ${relative}: ${(bytes.length / 1024).toFixed(0)} KiB`);
}
for (const name of API_MODULES) {
  write(path.join('onnxruntime-web', name), readFileSync(path.join(ortDist, name)));
  write(path.join('onnxruntime-web', name.replace(/\.mjs$/, '.d.mts')), TYPES);
}
for (const build of WASM_BUILDS) {
  write(`${build}.mjs`, readFileSync(path.join(ortDist, `${build}.mjs`)));
  write(`${build}.wasm.gz`, gzipSync(readFileSync(path.join(ortDist, `${build}.wasm`)), { level: 9 }));
}
copyFileSync(path.join(root, 'scripts', 'ort-licence.txt'), path.join(outDir, 'onnxruntime-web', 'LICENSE'));
write(path.join('onnxruntime-web', 'VERSION'), `${ortPackage.version}\n`);
