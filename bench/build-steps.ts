/**
 * The main thread's part of making an avatar, step by step: a real photo through the pipeline and
 * prepareAvatarArrays (what the avatar worker does), then the Babylon objects on NullEngine, built
 * once at once (buildAvatar: one task) and once in slices (buildAvatarInSlices, as
 * createAvatarFromPhoto does), printing the longest step and slice and each step kind's time.
 * JavaScript only: NullEngine uploads nothing and compiles no shaders (see
 * test/browser/avatar-worker.test.ts for the browser). Prints figures; asserts nothing.
 *   npx tsx bench/build-steps.ts [photo] [runs]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { createAvatarData } from '../src/pipeline.js';
import { prepareAvatarArrays } from '../src/plugin/build-arrays.js';
import { buildAvatar, buildAvatarInSlices } from '../src/plugin/build-avatar.js';
import { projectRoot } from '../test/helpers/shared-data.js';

const photo = process.argv[2] ?? path.join(projectRoot, '..', 'shared', 'data', 'photos', '3ddfa_v2', 'emma.jpg');
const runs = Number(process.argv[3] ?? 3);
const { image } = decodeImage(new Uint8Array(readFileSync(photo)));
const data = await createAvatarData(image);
const arrays = prepareAvatarArrays(data);
console.log(`${path.basename(photo)}: ${data.model.vertexCount} vertices, ${data.model.expressionNames.length} targets, `
  + `${data.model.parts.length} parts, hair ${data.hair?.mesh ? 'yes' : 'no'}, albedo ${data.albedo.width}²`);

const engine = new NullEngine();
for (let run = 1; run <= runs; run++) {
  let scene = new Scene(engine);
  const start = performance.now();
  buildAvatar(scene, data, {}, arrays);
  const onceMs = performance.now() - start;
  scene.dispose();
  scene = new Scene(engine);
  const byLabel = new Map<string, { count: number; totalMs: number; maxMs: number }>();
  const { report } = await buildAvatarInSlices(scene, data, arrays, {
    onStep: (label, ms) => {
      const entry = byLabel.get(label) ?? { count: 0, totalMs: 0, maxMs: 0 };
      byLabel.set(label, { count: entry.count + 1, totalMs: entry.totalMs + ms, maxMs: Math.max(entry.maxMs, ms) });
    },
  });
  scene.dispose();
  console.log(`run ${run}: buildAvatar in one task ${onceMs.toFixed(1)} ms; in slices: ${report.steps} steps, ${report.slices} tasks, `
    + `work ${report.workMs.toFixed(1)} ms, longest step ${report.longestStepMs.toFixed(1)} ms (${report.longestStep}), longest task ${report.longestSliceMs.toFixed(1)} ms`);
  console.log(`  ${[...byLabel].map(([label, e]) => `${label} ${e.count > 1 ? `${e.count}× max ` : ''}${e.maxMs.toFixed(1)}`).join(', ')} ms`);
}
