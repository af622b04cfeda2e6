import assert from 'node:assert/strict';
import { LandmarkSystem } from '../../src/fitting/landmark-graph.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import type { AvatarData } from '../../src/types.js';
import { eulerDegreesToRotation, rotationToEulerDegrees } from '../../src/fitting/camera-math.js';
import { depthPitchDeg, ExpressionSolver, fixedIdentityModel } from '../../src/tracking/expression-solver.js';
import { GazeSolver, irisRingDepth, pupilDepth } from '../../src/tracking/gaze.js';
import { computeAvatarRig } from '../../src/export/avatar-rig.js';
import { OneEuroFilter } from '../../src/tracking/one-euro.js';
import { SparseLandmarkSystem } from '../../src/tracking/sparse-landmarks.js';
import { seededRandom } from '../helpers/random.js';
import { DEFAULT_RANGES, interpolateTruth, observeTruth, randomTruth } from './synthetic-frames.js';

/** The default head with its mean identity as an avatar (no photo needed for the solver). */
export async function meanFaceAvatar(): Promise<AvatarData> {
  const model = await loadDefaultHead();
  return { model, neutralVertices: model.positions, identity: new Float32Array(model.identityCount), expression: new Float32Array(model.expressionNames.length) } as AvatarData;
}

describe('tracking: sparse landmark normal equations', () => {
  it('match the landmark graph (residuals, JᵀWJ, JᵀWr) at a random pose and expression', async () => {
    const model = fixedIdentityModel(await meanFaceAvatar());
    const graph = await LandmarkSystem.create(model, { backend: 'wasm' });
    const random = seededRandom(3);
    const rows = model.landmarks468!.length;
    const sparse = new SparseLandmarkSystem(model, model.landmarks468!, 0);
    const coefficients = Float64Array.from({ length: model.expressionNames.length }, () => (random() < 0.2 ? random() : 0));
    const state = { rotation: [0.98, -0.05, 0.19, 0.07, 0.99, -0.1, -0.18, 0.11, 0.97], translation: [0.01, -0.02, -0.6], focal: 800, cx: 320, cy: 240, coefficients };
    const target = Float32Array.from({ length: 2 * rows }, () => 200 + 200 * random());
    const sqrtWeight = Float32Array.from({ length: rows }, () => 0.1 + random());
    const graphRows = BigInt64Array.from(model.landmarks468!, (v) => BigInt(graph.set.lookup.get(v)!));
    const sparseRows = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i));
    const common = { blend: new Float32Array(rows), target, sqrtWeight };
    const expected = await graph.evaluate(state, { unionIndex: graphRows, unionIndexB: graphRows, ...common });
    const actual = await sparse.evaluate(state, { unionIndex: sparseRows, unionIndexB: sparseRows, ...common });
    const maxRelative = (a: Float32Array, b: Float32Array) => {
      let scale = 0, diff = 0;
      for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(b[i])); diff = Math.max(diff, Math.abs(a[i] - b[i])); }
      return diff / scale;
    };
    assert.ok(maxRelative(actual.residual, expected.residual) < 1e-4, `residual ${maxRelative(actual.residual, expected.residual)}`);
    assert.ok(maxRelative(actual.jtr, expected.jtr) < 1e-3, `jtr ${maxRelative(actual.jtr, expected.jtr)}`);
    assert.ok(maxRelative(actual.jtj, expected.jtj) < 1e-3, `jtj ${maxRelative(actual.jtj, expected.jtj)}`);
    // The tracker's default drops basis entries under 0.05 mm per unit weight: the fitted points move by a small fraction of a pixel.
    const pruned = await new SparseLandmarkSystem(model, model.landmarks468!).evaluate(state, { unionIndex: sparseRows, unionIndexB: sparseRows, ...common });
    let moved = 0;
    for (let i = 0; i < 2 * rows; i++) moved = Math.max(moved, Math.abs(pruned.fitted[i] - expected.fitted[i]));
    console.log(`      negligible basis entries dropped: fitted points moved ${moved.toFixed(3)} px at most`);
    assert.ok(moved < 0.1, `pruned basis moved a point ${moved} px`);
    await graph.release();
  });
});

/** The mean-face avatar's eyes, each with its cornea's apex: how far its front-most point lies in front of the pivot. */
async function meanFaceEyes() {
  const data = await meanFaceAvatar();
  const rig = computeAvatarRig(data.model, data.neutralVertices);
  return [rig.eyeRight!, rig.eyeLeft!].map((eye) => {
    let apex = 0;
    for (let i = 2; i < eye.positions.length; i += 3) apex = Math.max(apex, eye.positions[i] - eye.pivot[2]);
    return { eye, apex };
  });
}

describe('tracking: gaze geometry', () => {
  it('turns the iris centre with the eye like the iris plane, not the cornea apex (the Iris model centre moves so: bench/track-iris.ts)', async () => {
    for (const { eye, apex } of await meanFaceEyes()) {
      const depth = pupilDepth(eye);
      // MakeHuman's eye: iris about 12 mm in front of the pivot, the cornea's apex about 17 mm.
      assert.ok(depth > 0.010 && depth < 0.014 && apex - depth > 0.003, `${eye.name}: pupil ${(depth * 1000).toFixed(1)} mm, apex ${(apex * 1000).toFixed(1)} mm`);
    }
  });

  it('puts the iris centre of an eye looking ahead on the iris ring painted on the cornea, in front of the iris plane (bench/track-iris.ts: it turns with the head like a point at 14-15 mm)', async () => {
    for (const { eye, apex } of await meanFaceEyes()) {
      const ring = irisRingDepth(eye), depth = pupilDepth(eye);
      assert.ok(ring > depth + 0.001 && ring < apex - 0.001 && ring > 0.013 && ring < 0.0155, `${eye.name}: ring ${(ring * 1000).toFixed(2)} mm, iris plane ${(depth * 1000).toFixed(2)} mm, apex ${(apex * 1000).toFixed(2)} mm`);
    }
  });

  it('a gaze calibration frame removes a constant iris offset', async () => {
    const data = await meanFaceAvatar();
    const camera = { focal: 768, cx: 319.5, cy: 239.5 };
    const random = seededRandom(5);
    const solver = new GazeSolver(data);
    const straight = randomTruth(data, random);
    straight.gazeYawDeg = straight.gazePitchDeg = 0;
    const offsetPx = [1.5, 1];
    const shifted = (iris: Float32Array) => iris.map((v, i) => (i % 15 === 0 ? v + offsetPx[0] : i % 15 === 1 ? v + offsetPx[1] : v));
    solver.calibrate(shifted(observeTruth(data, straight, camera, 0, random).iris), straight.rotation, straight.translation, camera);
    const looking = { ...straight, gazeYawDeg: 12, gazePitchDeg: -6 };
    const gaze = solver.solve(shifted(observeTruth(data, looking, camera, 0, random).iris), looking.rotation, looking.translation, camera, { yawRad: 0, pitchRad: 0 }, { yawRad: 0, pitchRad: 0 });
    const DEG = 180 / Math.PI;
    assert.ok(Math.abs(gaze.yawRad * DEG - 12) < 0.5 && Math.abs(gaze.pitchRad * DEG + 6) < 0.5, `gaze ${(gaze.yawRad * DEG).toFixed(2)}, ${(gaze.pitchRad * DEG).toFixed(2)} (truth 12, -6)`);
  });
});

describe('tracking: per-frame solve on exact observations', () => {
  it('recovers random sparse weights, pose and gaze through a sequence, warm-started frame to frame', async () => {
    const data = await meanFaceAvatar();
    const solver = new ExpressionSolver(data);
    const gaze = new GazeSolver(data);
    const camera = { focal: 768, cx: 319.5, cy: 239.5 };
    const random = seededRandom(5);
    const names = data.model.expressionNames;
    let weightError = 0, count = 0, poseSum = 0, worstPose = 0, worstGaze = 0;
    // A video-like sequence: eased between random keyframes every 6 frames, as the warm start expects.
    let keyA = randomTruth(data, random), keyB = randomTruth(data, random);
    for (let f = 0; f < 18; f++) {
      if (f > 0 && f % 6 === 0) { keyA = keyB; keyB = randomTruth(data, random); }
      const truth = interpolateTruth(keyA, keyB, (f % 6) / 6);
      const face = observeTruth(data, truth, camera, 0.3, random);
      const solved = await solver.solve(face, camera, truth.weights);
      names.forEach((name, k) => { if (!/^eyeLook/.test(name)) { weightError += Math.abs(solved.weights[k] - truth.weights[k]); count++; } });
      const pose = rotationToEulerDegrees(solved.rotation);
      const angles = [Math.abs(pose.yawDeg - truth.yawDeg), Math.abs(pose.pitchDeg - truth.pitchDeg), Math.abs(pose.rollDeg - truth.rollDeg)];
      poseSum += angles[0] + angles[1] + angles[2];
      worstPose = Math.max(worstPose, ...angles);
      const g = gaze.solve(face.iris, solved.rotation, solved.translation, camera, { yawRad: 0, pitchRad: 0 }, { yawRad: 0, pitchRad: 0 });
      worstGaze = Math.max(worstGaze, Math.abs((g.yawRad * 180) / Math.PI - truth.gazeYawDeg), Math.abs((g.pitchRad * 180) / Math.PI - truth.gazePitchDeg));
    }
    assert.ok(weightError / count < 0.05, `weight MAE ${(weightError / count).toFixed(3)}`);
    assert.ok(poseSum / 54 < 0.5 && worstPose < 2, `pose error mean ${(poseSum / 54).toFixed(2)}, worst ${worstPose.toFixed(2)} deg`);
    assert.ok(worstGaze < 4, `worst gaze error ${worstGaze.toFixed(2)} deg`);
  });

  it('a calibration frame held as straight ahead takes up a landmark bias that looks like a head turn', async () => {
    const data = await meanFaceAvatar();
    const camera = { focal: 768, cx: 319.5, cy: 239.5 };
    const E = data.model.expressionNames.length;
    // The landmark model sees every head 2 deg further to the subject's left than it is (as FaceMesh
    // saw the bench's frontal render 1.4 deg off), 0.3 px noise.
    const BIAS_DEG = 2;
    const seen = (yawDeg: number, pitchDeg: number, random: () => number) => {
      const truth = { ...randomTruth(data, random, { ...DEFAULT_RANGES, yawDeg: 0, pitchDeg: 0, rollDeg: 0 }), weights: new Float64Array(E) };
      truth.rotation = eulerDegreesToRotation(yawDeg + BIAS_DEG, pitchDeg, 0);
      truth.translation = Float64Array.of(0, 0, -0.6);
      return observeTruth(data, truth, camera, 0.3, random);
    };
    const yawError = async (held: boolean) => {
      const random = seededRandom(12);
      const solver = new ExpressionSolver(data);
      await solver.calibrate(seen(0, 0, random), camera, new Float64Array(E), held ? eulerDegreesToRotation(0, 0, 0) : undefined);
      let worst = 0;
      for (const [yaw, pitch] of [[12, 0], [-15, 5], [0, -10], [20, 8]]) {
        solver.reset();
        const solved = await solver.solve(seen(yaw, pitch, random), camera);
        worst = Math.max(worst, Math.abs(rotationToEulerDegrees(solved.rotation).yawDeg - yaw));
      }
      return worst;
    };
    const solvedCalibration = await yawError(false), heldCalibration = await yawError(true);
    assert.ok(solvedCalibration > 1.5, `with the calibration frame's pose solved the bias stays: worst yaw error ${solvedCalibration.toFixed(2)} deg`);
    assert.ok(heldCalibration < 0.8, `held straight ahead: worst yaw error ${heldCalibration.toFixed(2)} deg (solved: ${solvedCalibration.toFixed(2)})`);
  });
});

describe('tracking: head pitch from FaceMesh depths', () => {
  it('reads the pitch that turns the model onto the observed relative depths, whatever their scale and offset', async () => {
    const model = fixedIdentityModel(await meanFaceAvatar());
    const points = new SparseLandmarkSystem(model, model.landmarks468!).pointsAt(new Float64Array(model.expressionNames.length), new Float64Array(468 * 3));
    const random = seededRandom(8);
    const yaw = 0.3, c = Math.cos(yaw), s = Math.sin(yaw);
    const solved = [c, 0, s, 0, 1, 0, -s, 0, c];
    for (const pitchDeg of [-6, 2.5, 7]) {
      const p = (pitchDeg * Math.PI) / 180;
      // The true head: the solved one turned about the camera's x axis.
      const truth = solved.map((_, i) => {
        const row = Math.floor(i / 3), col = i % 3;
        if (row === 0) return solved[col];
        return row === 1 ? Math.cos(p) * solved[3 + col] - Math.sin(p) * solved[6 + col] : Math.sin(p) * solved[3 + col] + Math.cos(p) * solved[6 + col];
      });
      // FaceMesh's z: pixels, nearer is smaller, about focal / distance px per metre, with 0.5 px noise.
      const observed = new Float32Array(468 * 3);
      for (let i = 0; i < 468; i++) {
        const depth = truth[6] * points[3 * i] + truth[7] * points[3 * i + 1] + truth[8] * points[3 * i + 2];
        observed[3 * i + 2] = -1300 * depth + 40 + 0.5 * (2 * random() - 1);
      }
      const read = depthPitchDeg(points, solved, observed);
      assert.ok(Math.abs(read - pitchDeg) < 0.3, `pitch ${pitchDeg} deg read as ${read.toFixed(2)}`);
    }
  });
});

describe('tracking: One-Euro filter', () => {
  it('steadies a still signal and follows a fast step with little lag', () => {
    const filter = new OneEuroFilter(1, { minCutoff: 1.5, beta: 1.5, derivativeCutoff: 1 });
    const random = seededRandom(9);
    const sample = new Float64Array(1);
    let spread = 0;
    for (let f = 0; f < 60; f++) {
      sample[0] = 0.5 + 0.05 * (random() - 0.5);
      filter.filter(sample, f / 30);
      if (f > 30) spread = Math.max(spread, Math.abs(sample[0] - 0.5));
    }
    assert.ok(spread < 0.015, `still-signal jitter ${spread.toFixed(4)} (input ±0.025)`);
    let reached = -1;
    for (let f = 60; f < 75; f++) {
      sample[0] = 1;
      filter.filter(sample, f / 30);
      if (reached < 0 && sample[0] > 0.9) reached = f - 60;
    }
    assert.ok(reached >= 0 && reached <= 4, `a 0.5 step reached 90% after ${reached} frames`);
  });
});
