/**
 * Synthetic recovery: random identity, expression and pose project to noisy landmarks; the fit must
 * reproduce the landmarks and recover the pose. Runs on the procedural test head, and on the
 * embedded default head too when it is built (assets/generated/default-head.pack).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fitFace } from '../../src/fitting/fit-face.js';
import { eulerDegreesToRotation, projectPoints, rotationToEulerDegrees } from '../../src/fitting/camera-math.js';
import { decodeShape } from '../../src/modelpack/head-model.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { projectRoot } from '../helpers/shared-data.js';
import { makeSyntheticHead, syntheticObservation } from './synthetic-head.js';

const imageWidth = 640, imageHeight = 480;
const camera = { focal: 1.2 * imageWidth, cx: (imageWidth - 1) / 2, cy: (imageHeight - 1) / 2 };

/** Angle of R_fit R_true^T in degrees. */
function rotationErrorDeg(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let trace = 0;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) trace += a[r * 3 + c] * b[r * 3 + c];
  return (Math.acos(Math.max(-1, Math.min(1, (trace - 1) / 2))) * 180) / Math.PI;
}

async function recover(model: HeadModel, label: string, seeds: number[], limits: { errorPx: number; rotationDeg: number }) {
  const rows: string[] = [];
  for (const seed of seeds) {
    const { observation, truth } = syntheticObservation(model, seed, camera, { noisePx: 0.5 });
    const fit = await fitFace(model, observation, { imageWidth, imageHeight });
    const rotErr = rotationErrorDeg(fit.camera.rotation, truth.rotation);
    const depthErr = Math.abs(fit.camera.translation[2] - truth.translation[2]) / Math.abs(truth.translation[2]);
    rows.push(`seed ${seed}: yaw ${truth.yawDeg.toFixed(1)}->${fit.yawDeg.toFixed(1)}, pitch ${truth.pitchDeg.toFixed(1)}->${fit.pitchDeg.toFixed(1)}, roll ${truth.rollDeg.toFixed(1)}->${fit.rollDeg.toFixed(1)}, rot err ${rotErr.toFixed(2)} deg, depth err ${(100 * depthErr).toFixed(1)}%, 68-pt err ${fit.landmarkErrorPx.toFixed(2)} px (${(100 * fit.landmarkErrorNormalized).toFixed(2)}%), ${fit.iterations} it, solve ${fit.timings.solve.toFixed(0)} ms, total ${fit.timings.total.toFixed(0)} ms`);
    assert.ok(fit.landmarkErrorPx < limits.errorPx, `${label} seed ${seed}: landmark error ${fit.landmarkErrorPx} px`);
    assert.ok(rotErr < limits.rotationDeg, `${label} seed ${seed}: rotation error ${rotErr} deg`);
    assert.equal(fit.vertices.length, model.vertexCount * 3);
    assert.equal(fit.neutralVertices.length, model.vertexCount * 3);
    assert.ok(fit.expression.every((w) => w >= 0 && w <= 1));
    const euler = rotationToEulerDegrees(fit.camera.rotation);
    assert.equal(euler.yawDeg, fit.yawDeg);
  }
  console.log(`      ${label} (${model.vertexCount} vertices, ${model.identityCount} identity + ${model.expressionNames.length} expression modes):\n        ${rows.join('\n        ')}`);
}

describe('fitting: synthetic recovery', () => {
  it('recovers pose and reproduces landmarks on the procedural head', async () => {
    const model = makeSyntheticHead({ identityCount: 40, expressionCount: 12 });
    await recover(model, 'procedural head', [1, 2, 3, 4], { errorPx: 1.5, rotationDeg: 3 });
  });

  it('recovers pose on the default head', async function () {
    if (!existsSync(path.join(projectRoot, 'assets', 'generated', 'default-head.pack'))) {
      console.log('      skipped: the default head is not built (npm run build)');
      this.skip();
    }
    const model = await loadDefaultHead();
    await recover(model, 'default head', [5, 6, 7], { errorPx: 2, rotationDeg: 4 });
  });

  it('rejects a profile view with EXTREME_POSE and the measured yaw', async () => {
    const model = makeSyntheticHead({ identityCount: 5, expressionCount: 3 });
    const { observation } = syntheticObservation(model, 9, camera, { noisePx: 0 });
    const shape = decodeShape(model, null, null);
    const pts = Float64Array.from(Array.from(model.landmarks68).flatMap((v) => [shape[v * 3], shape[v * 3 + 1], shape[v * 3 + 2]]));
    observation.landmarks68 = Float32Array.from(projectPoints(pts, eulerDegreesToRotation(70, 0, 0), [0, 0, -0.6], camera));
    observation.landmarks468 = new Float32Array(0); // 68 points only: the dense ones still show the old pose
    await assert.rejects(fitFace(model, observation, { imageWidth, imageHeight }), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError && error.code === 'EXTREME_POSE', String(error));
      console.log(`      ${error.message}`);
      return true;
    });
  });

  it('stops with ABORTED when the signal fires', async () => {
    const model = makeSyntheticHead({ identityCount: 5, expressionCount: 3 });
    const { observation } = syntheticObservation(model, 10, camera);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(fitFace(model, observation, { imageWidth, imageHeight, signal: controller.signal }),
      (error: unknown) => error instanceof PhotoAvatarError && error.code === 'ABORTED');
  });
});
