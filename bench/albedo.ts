/**
 * Timing of the albedo stage (src/materials) on a synthetic scene: a UV sphere head, rendered with
 * a known albedo and SH light. Reports wall and process CPU milliseconds per step, first call
 * (UV raster, mirror map and ONNX session built) and warm (cached per model and size).
 *   npx tsx bench/albedo.ts [size ...]      (default: 1024 512)
 */
import '../src/node/asset-files.js';
import { estimateAlbedo } from '../src/albedo/albedo.js';
import { buildSphereHead, makeCamera, renderPhoto, trueLight } from '../test/albedo/synthetic-scene.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const model = buildSphereHead(0.1, 128, 256);
const photoSize = 1024;
const camera = makeCamera(30, photoSize, photoSize, 0.5, 2000);
const image = renderPhoto(model, model.positions, camera, trueLight(), photoSize, photoSize);
console.log(`model: ${model.vertexCount} vertices, ${model.indices.length / 3} triangles; photo ${photoSize}x${photoSize}`);

for (const size of sizes.length ? sizes : [1024, 512]) {
  for (const run of ['first', 'warm', 'warm']) {
    const cpu = process.cpuUsage();
    const result = await estimateAlbedo({ image, model, vertices: model.positions, camera }, { size });
    const used = process.cpuUsage(cpu);
    const steps = Object.entries(result.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    console.log(`${size} ${run}: wall ms {${steps}}; process CPU ${((used.user + used.system) / 1000).toFixed(0)} ms; coverage ${result.coverage.toFixed(3)}`);
  }
}
