/**
 * Timing of fitFace on the embedded default head (or the synthetic test head when assets/generated
 * has no pack) for synthetic observations: wall and process CPU time per fit (warm sessions), per graph
 * evaluation, and the one-off session creation. Prints figures; asserts nothing.
 *   npx tsx bench/fit.ts
 */
import os from 'node:os';
import { fitFace } from '../src/fitting/fit-face.js';
import { LandmarkSystem } from '../src/fitting/landmark-graph.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import { makeSyntheticHead, syntheticObservation } from '../test/fitting/synthetic-head.js';

async function loadModel(): Promise<HeadModel> {
  try {
    await import('../src/node/asset-files.js');
    const { loadDefaultHead } = await import('../src/pipeline.js');
    return await loadDefaultHead();
  } catch {
    return makeSyntheticHead({ identityCount: 60, expressionCount: 40 });
  }
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const model = await loadModel();
const camera = { focal: 768, cx: 319.5, cy: 239.5 };
console.log(`${model.id}: ${model.vertexCount} vertices, ${model.identityCount} identity + ${model.expressionNames.length} expression modes; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);

let wall = performance.now(), cpu = cpuMs();
const first = await fitFace(model, syntheticObservation(model, 1, camera).observation, { imageWidth: 640, imageHeight: 480 });
console.log(`first fit (sessions created): wall ${(performance.now() - wall).toFixed(0)} ms, cpu ${(cpuMs() - cpu).toFixed(0)} ms, timings ${JSON.stringify(first.timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}`);

for (let seed = 2; seed < 7; seed++) {
  const { observation } = syntheticObservation(model, seed, camera);
  wall = performance.now(); cpu = cpuMs();
  const fit = await fitFace(model, observation, { imageWidth: 640, imageHeight: 480 });
  console.log(`fit seed ${seed}: wall ${(performance.now() - wall).toFixed(0)} ms, cpu ${(cpuMs() - cpu).toFixed(0)} ms, ${fit.iterations} iterations, solve ${fit.timings.solve.toFixed(0)} ms, decode ${fit.timings.decode.toFixed(0)} ms, error ${fit.landmarkErrorPx.toFixed(2)} px`);
}

const system = await LandmarkSystem.create(model);
const n = 68 + (model.landmarks468 ? 468 : 0);
const index = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % system.set.vertices.length));
const corr = { unionIndex: index, unionIndexB: index, blend: new Float32Array(n), target: new Float32Array(2 * n), sqrtWeight: new Float32Array(n).fill(1) };
const state = { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [0, 0, -0.6], coefficients: new Float64Array(system.set.coefficientCount), ...camera };
await system.evaluate(state, corr);
wall = performance.now(); cpu = cpuMs();
const runs = 50;
for (let i = 0; i < runs; i++) await system.evaluate(state, corr);
console.log(`graph evaluation (${2 * n} residual rows x ${system.parameterCount} parameters): wall ${((performance.now() - wall) / runs).toFixed(2)} ms, cpu ${((cpuMs() - cpu) / runs).toFixed(2)} ms per call`);
