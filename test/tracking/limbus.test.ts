/**
 * The iris centre refined on the limbus (src/tracking/limbus.ts): on a drawn eye whose lids cover
 * the iris's top and bottom, and on the project's renders of an avatar through the real face
 * models, where the refined centre must land closer to the rendered iris ring's centre than the
 * Iris model's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { computeAvatarRig } from '../../src/export/avatar-rig.js';
import { decodeImage } from '../../src/image/decode.js';
import { LEFT_EYE_CORNERS, RIGHT_EYE, RIGHT_EYE_CORNERS } from '../../src/inference/face/mesh-regions.js';
import { createAvatarData } from '../../src/pipeline.js';
import { alongEyeLine, FaceTracker } from '../../src/tracking/face-tracker.js';
import { eyeIrisGeometry, irisCentreInHead } from '../../src/tracking/gaze.js';
import { fitLimbus, insideLoopDistance, type IrisEllipseShape } from '../../src/tracking/limbus.js';
import type { RgbaImage } from '../../src/types.js';
import { projectRoot } from '../helpers/shared-data.js';
import { seededRandom } from '../helpers/random.js';
import { DEFAULT_RANGES, randomLook, randomTruth, renderTruth, type TrackingTruth } from './synthetic-frames.js';

const SKIN = 150, SCLERA = 215, IRIS = 70;

/**
 * A drawn eye: skin, an almond-shaped opening of the given half-height between the corners at
 * x = 10 and 70, the sclera inside it and the iris ellipse of `shape` at (cx, cy), 4x4 supersampled,
 * with mild noise. Returns the image and 468 mesh points with the RIGHT_EYE loop on the opening's outline.
 */
function drawnEye(cx: number, cy: number, shape: IrisEllipseShape, openingHalfHeight: number, random: () => number): { image: RgbaImage; points: Float32Array } {
  const width = 80, height = 60, middle = 30;
  const points = new Float32Array(468 * 3);
  // RIGHT_EYE runs corner 33, the upper lid, corner 133, the lower lid: 16 points.
  RIGHT_EYE.forEach((index, k) => {
    const angle = Math.PI - (2 * Math.PI * k) / RIGHT_EYE.length;
    points[3 * index] = 40 + 30 * Math.cos(angle);
    points[3 * index + 1] = middle - openingHalfHeight * Math.sin(angle);
  });
  const stretch = 1 / shape.foreshortening - 1;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const px = x + (sx + 0.5) / 4 - 0.5, py = y + (sy + 0.5) / 4 - 0.5;
          if (insideLoopDistance(points, RIGHT_EYE, px, py) < 0) { sum += SKIN; continue; }
          const dx = px - cx, dy = py - cy, along = stretch * (dx * shape.axisX + dy * shape.axisY);
          sum += Math.hypot(dx + along * shape.axisX, dy + along * shape.axisY) < shape.radius ? IRIS : SCLERA;
        }
      }
      const p = 4 * (y * width + x);
      data[p] = data[p + 1] = data[p + 2] = sum / 16 + 3 * (random() - 0.5);
      data[p + 3] = 255;
    }
  }
  return { image: { width, height, data }, points };
}

describe('tracking: iris centre on the limbus', function () {
  it('finds the drawn iris centre within 0.1 px from a start 2 px off, with the lids covering its top and bottom', () => {
    const random = seededRandom(3);
    for (const shape of [
      { radius: 8, foreshortening: 1, axisX: 1, axisY: 0 },
      { radius: 8, foreshortening: 0.85, axisX: 0.8, axisY: 0.6 },
    ]) {
      const cx = 38.3, cy = 30.6;
      const { image, points } = drawnEye(cx, cy, shape, 6, random);
      const fit = fitLimbus(image, cx + 1.6, cy - 1.2, shape, points, RIGHT_EYE, RIGHT_EYE_CORNERS);
      assert.ok(fit, 'no fit');
      const error = Math.hypot(fit.x - cx, fit.y - cy);
      assert.ok(error < 0.1, `fitted (${fit.x.toFixed(2)}, ${fit.y.toFixed(2)}) vs (${cx}, ${cy}): ${error.toFixed(3)} px, foreshortening ${shape.foreshortening}`);
      assert.ok(Math.abs(fit.radius - shape.radius) < 0.3, `radius ${fit.radius.toFixed(2)} vs ${shape.radius}`);
    }
  });

  it('gives no centre for a nearly closed eye (no sclera beside the iris)', () => {
    const shape = { radius: 8, foreshortening: 1, axisX: 1, axisY: 0 };
    const { image, points } = drawnEye(40, 30, shape, 1.2, seededRandom(4));
    assert.equal(fitLimbus(image, 40.5, 30.5, shape, points, RIGHT_EYE, RIGHT_EYE_CORNERS), null);
  });

  it('lands closer to the rendered iris ring centre than the Iris model on renders of an avatar', async () => {
    const photo = decodeImage(new Uint8Array(readFileSync(path.join(projectRoot, 'assets', 'generated', 'sample-photo.jpg')))).image;
    const data = await createAvatarData(photo, { textureSize: 256 });
    const size = { width: 640, height: 480 };
    const camera = { focal: 1.2 * size.width, cx: (size.width - 1) / 2, cy: (size.height - 1) / 2 };
    const rig = computeAvatarRig(data.model, data.neutralVertices);
    // The painted ring turns rigidly with the eye: its centre moves like a point at the ring's depth.
    const eyes = [rig.eyeRight!, rig.eyeLeft!].map((eye) => {
      const geometry = eyeIrisGeometry(eye);
      return { ...geometry, radius: geometry.ringDepth };
    });
    const tracker = await FaceTracker.create(data, { backend: 'wasm', smoothing: false, alternateIris: false });
    const random = seededRandom(11);
    const point = new Float64Array(3);
    const DEG = Math.PI / 180;
    let modelError = 0, refinedError = 0, refined = 0, count = 0;
    const refinedErrors: number[] = [];
    for (let frame = 0; frame < 8; frame++) {
      const truth: TrackingTruth = randomTruth(data, random, { ...DEFAULT_RANGES, sampling: 'realistic' });
      data.model.expressionNames.forEach((name, k) => { if (/^eyeBlink/i.test(name)) truth.weights[k] = 0; });
      const image = renderTruth(data, truth, camera, size, randomLook(data, random), random);
      tracker.reset();
      const tracked = await tracker.track(image, frame);
      assert.ok(tracked, `frame ${frame}: no face`);
      eyes.forEach((eye, e) => {
        irisCentreInHead(eye, truth.gazeYawDeg * DEG, truth.gazePitchDeg * DEG, point);
        const R = truth.rotation, t = truth.translation;
        const x = R[0] * point[0] + R[1] * point[1] + R[2] * point[2] + t[0];
        const y = R[3] * point[0] + R[4] * point[1] + R[5] * point[2] + t[1];
        const z = R[6] * point[0] + R[7] * point[1] + R[8] * point[2] + t[2];
        const u = camera.cx + (camera.focal * x) / -z, v = camera.cy - (camera.focal * y) / -z;
        const model = Math.hypot(tracked.face.iris[15 * e] - u, tracked.face.iris[15 * e + 1] - v);
        if (tracked.gazeIris.readings[e] !== 'limbus') return;
        refined++;
        modelError += model;
        refinedErrors.push(Math.hypot(tracked.gazeIris.centres[2 * e] - u, tracked.gazeIris.centres[2 * e + 1] - v));
        refinedError += refinedErrors[refinedErrors.length - 1];
      });
      count += eyes.length;
    }
    modelError /= Math.max(1, refined);
    refinedError /= Math.max(1, refined);
    const median = refinedErrors.sort((a, b) => a - b)[Math.floor(refinedErrors.length / 2)];
    console.log(`    ${refined} of ${count} eyes refined: ${refinedError.toFixed(2)} px from the ring's centre (median ${median.toFixed(2)}), the Iris model's ${modelError.toFixed(2)} px`);
    // Measured: 14 of 16 eyes refined, 0.29 px from the ring's centre against the Iris model's 0.78 px
    // there; 0.32 against 0.61 px once the albedo took the photo's brows (the Iris model reads the
    // rendered eye region, so its error moves with the texture). With the head rebuilt for the open
    // mouth (its albedo model with it), 15 refined at a mean of 0.40 px against 0.88 (median 0.27): two eyes
    // of random looks, 1.1 and 1.6 px off, carry the mean; the median bounds the typical eye.
    // The albedo's lash line (src/albedo/lash-line.ts) darkens the lid margin beside the sclera as
    // in photos, and fewer rendered eyes keep enough limbus edge on both sides: 13 -> 10 of 16
    // refined, at the same accuracy (0.23 px against the Iris model's 0.82; on bench/track-synthetic.ts
    // --frames 60 --threads 1 --calibrate render --seed 7: 22 -> 20 of 24 eyes, gaze error 3.27 -> 2.48°).
    assert.ok(refined >= 0.6 * count, `${refined} of ${count} eyes refined`);
    assert.ok(median < 0.35 && refinedError < 0.5 && refinedError < 0.65 * modelError, `refined centres ${refinedError.toFixed(2)} px (median ${median.toFixed(2)}) from the ring's centre, the Iris model's ${modelError.toFixed(2)} px`);
  });
});

describe('tracking: the eyes placed across by their corners', () => {
  it('moves the iris centres by the corners\' residual along the eye line, not across it', () => {
    // Outer corners on a line tilted 20° (a rolled head); the fitted corners sit off the observed ones by `shift`.
    const tilt = (20 * Math.PI) / 180, ax = Math.cos(tilt), ay = Math.sin(tilt);
    const points = new Float32Array(468 * 3), fitted = new Float32Array(468 * 2);
    [RIGHT_EYE_CORNERS[0], RIGHT_EYE_CORNERS[1], LEFT_EYE_CORNERS[0], LEFT_EYE_CORNERS[1]].forEach((index, k) => {
      points[3 * index] = 200 + 40 * k * ax;
      points[3 * index + 1] = 150 + 40 * k * ay;
    });
    for (const [along, across] of [[1.5, 0], [0, 2], [-0.8, 1]]) {
      const dx = along * ax - across * ay, dy = along * ay + across * ax;
      for (let i = 0; i < 468; i++) { fitted[2 * i] = points[3 * i] - dx; fitted[2 * i + 1] = points[3 * i + 1] - dy; }
      const iris = new Float32Array(30);
      iris.set([220, 160], 0);
      iris.set([300, 190], 15);
      alongEyeLine(points, fitted, iris);
      for (const [offset, x, y] of [[0, 220, 160], [15, 300, 190]]) {
        const moved = [iris[offset] - x, iris[offset + 1] - y];
        assert.ok(Math.abs(moved[0] + along * ax) < 1e-4 && Math.abs(moved[1] + along * ay) < 1e-4, `residual (${along}, ${across}) along/across: iris moved (${moved[0].toFixed(3)}, ${moved[1].toFixed(3)})`);
      }
    }
  });
});
