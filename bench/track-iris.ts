/**
 * Where the Iris model puts the iris centre against the rendered pupil, over a sweep of gazes: the
 * avatar rendered by the project's rasterizer (neutral face, lids following the gaze as in
 * track-synthetic.ts, fixed light, no noise) at a few head poses, each eye measured on every frame.
 * Prints per axis the least-squares slope of the found iris displacement (from the straight-ahead
 * frame) on the displacement of the gaze model's point (1 = right scale), and the depth that slope
 * implies; and, from the straight-ahead frames at each head pose against the frontal one, the depth
 * of the point that turns with the head as the found iris centre does (irisRingDepth's measure).
 *   npx tsx bench/track-iris.ts [--avatar x.avatar] [--save-avatar x.avatar] [--images DIR] [--lids fixed]
 *     --lids fixed   keeps the eyeLook* weights at 0, so the lids stay where they are when the eyes turn
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAvatarFile } from '../src/avatar-file/format.js';
import { computeAvatarRig } from '../src/export/avatar-rig.js';
import { encodePng } from '../src/image/encode.js';
import type { RgbaImage } from '../src/types.js';
import { getFaceAnalyzer } from '../src/pipeline.js';
import { irisRingDepth, pupilDepth, writeEyeLookWeights } from '../src/tracking/gaze.js';
import { eulerDegreesToRotation } from '../src/fitting/camera-math.js';
import { observeTruth, renderTruth, type TrackingTruth } from '../test/tracking/synthetic-frames.js';
import { seededRandom } from '../test/helpers/random.js';
import { benchAvatar, stringOption } from './track-avatar.js';

const size = { width: 640, height: 480 };
const camera = { focal: 1.2 * size.width, cx: (size.width - 1) / 2, cy: (size.height - 1) / 2 };
const data = await benchAvatar();
const saveAs = stringOption('--save-avatar');
if (saveAs) await writeFile(saveAs, writeAvatarFile(data));
const imageDir = stringOption('--images');
if (imageDir) await mkdir(imageDir, { recursive: true });
const lidsFollow = stringOption('--lids') !== 'fixed';
const analyzer = await getFaceAnalyzer('wasm');
const names = data.model.expressionNames;
const rig = computeAvatarRig(data.model, data.neutralVertices);
const eyes = [rig.eyeRight!, rig.eyeLeft!];
console.log(`pupil depth (eye part): ${eyes.map((e) => (pupilDepth(e) * 1000).toFixed(2)).join(', ')} mm; lids ${lidsFollow ? 'follow the gaze' : 'fixed'}`);

function truthFor(headYaw: number, headPitch: number, gazeYaw: number, gazePitch: number): TrackingTruth {
  const weights = new Float64Array(names.length);
  if (lidsFollow) writeEyeLookWeights({ yawRad: (gazeYaw * Math.PI) / 180, pitchRad: (gazePitch * Math.PI) / 180 }, names, weights);
  return {
    weights, yawDeg: headYaw, pitchDeg: headPitch, rollDeg: 0, gazeYawDeg: gazeYaw, gazePitchDeg: gazePitch,
    rotation: eulerDegreesToRotation(headYaw, headPitch, 0), translation: Float64Array.of(0, 0, -0.6),
  };
}

const look = { light: Float32Array.from(data.light), backgroundTop: [120, 120, 120] as [number, number, number], backgroundBottom: [90, 90, 90] as [number, number, number], noise: 0 };
const HEADS = [[0, 0], [20, 0], [0, 12]];
const GAZES: [number, number][] = [];
for (const yaw of [-20, -10, 0, 10, 20]) for (const pitch of [-12, 0, 12]) GAZES.push([yaw, pitch]);
// Per axis (x, y) and eye: sums for the slope of found on exact displacement, and the mean offset.
const cross = new Float64Array(4), exactSq = new Float64Array(4), offset = new Float64Array(4), darkCross = new Float64Array(4);
const radii: number[] = [];
let count = 0;
// Head-turn parallax: found iris centre looking ahead at each head pose, and the frontal one.
let frontalAhead: Float32Array | undefined;
let parallaxCross = 0, parallaxSq = 0;
const projectAt = (truth: TrackingTruth, eye: typeof eyes[0], depth: number): [number, number] => {
  const p = [eye.pivot[0], eye.pivot[1], eye.pivot[2] + depth], R = truth.rotation, t = truth.translation;
  const x = R[0] * p[0] + R[1] * p[1] + R[2] * p[2] + t[0], y = R[3] * p[0] + R[4] * p[1] + R[5] * p[2] + t[1], z = R[6] * p[0] + R[7] * p[1] + R[8] * p[2] + t[2];
  return [camera.cx + (camera.focal * x) / -z, camera.cy - (camera.focal * y) / -z];
};
for (const [headYaw, headPitch] of HEADS) {
  const measure = async (gazeYaw: number, gazePitch: number, save: boolean) => {
    const truth = truthFor(headYaw, headPitch, gazeYaw, gazePitch);
    const image = renderTruth(data, truth, camera, size, look, seededRandom(1));
    const faces = (await analyzer.analyze(image, { maxFaces: 1, refineMesh: true })).faces;
    if (imageDir && save) await writeFile(path.join(imageDir, `head${headYaw}_${headPitch}-gaze${gazeYaw}_${gazePitch}.png`), encodePng(eyeStrip(image, faces[0]?.iris, observeTruth(data, truth, camera, 0, () => 0.5).iris)));
    const exact = observeTruth(data, truth, camera, 0, () => 0.5).iris;
    return { found: faces[0]?.iris, exact, dark: [0, 1].map((e) => darkCentroid(image, exact[15 * e], exact[15 * e + 1])) };
  };
  const ahead = await measure(0, 0, false);
  if (!ahead.found) { console.log(`head ${headYaw}/${headPitch}: no face`); continue; }
  if (!frontalAhead) frontalAhead = ahead.found;
  else {
    // A point at depth D in front of the pivot moves, from the frontal head to this one, by a(D) = a0 + D * k; fit D to the found motion.
    const frontal = truthFor(0, 0, 0, 0), turned = truthFor(headYaw, headPitch, 0, 0);
    eyes.forEach((eye, e) => {
      for (let c = 0; c < 2; c++) {
        const a0 = projectAt(turned, eye, 0)[c] - projectAt(frontal, eye, 0)[c];
        const k = (projectAt(turned, eye, 0.01)[c] - projectAt(frontal, eye, 0.01)[c] - a0) / 0.01;
        parallaxCross += (ahead.found![15 * e + c] - frontalAhead![15 * e + c] - a0) * k;
        parallaxSq += k * k;
      }
    });
  }
  const rows: string[] = [];
  for (const [gazeYaw, gazePitch] of GAZES) {
    const { found, exact, dark } = await measure(gazeYaw, gazePitch, gazePitch === 0 && Math.abs(gazeYaw) === 20);
    if (!found) continue;
    const parts: string[] = [];
    for (let e = 0; e < 2; e++) {
      for (let c = 0; c < 2; c++) {
        const d = exact[15 * e + c] - ahead.exact[15 * e + c], m = found[15 * e + c] - ahead.found[15 * e + c];
        cross[2 * e + c] += m * d; exactSq[2 * e + c] += d * d;
        darkCross[2 * e + c] += (dark[e][c] - ahead.dark[e][c]) * d;
        offset[2 * e + c] += found[15 * e + c] - exact[15 * e + c];
      }
      parts.push(`(${(found[15 * e] - exact[15 * e]).toFixed(2)}, ${(found[15 * e + 1] - exact[15 * e + 1]).toFixed(2)})`);
      // Iris radius: mean distance of the 4 contour points from the centre.
      let r = 0;
      for (let i = 1; i < 5; i++) r += Math.hypot(found[15 * e + 3 * i] - found[15 * e], found[15 * e + 3 * i + 1] - found[15 * e + 1]) / 4;
      radii.push(r);
    }
    count++;
    rows.push(`  gaze ${String(gazeYaw).padStart(3)}/${String(gazePitch).padStart(3)}: found - exact px, right eye ${parts[0]}, left eye ${parts[1]}`);
  }
  console.log(`head yaw ${headYaw}, pitch ${headPitch}:\n${rows.join('\n')}`);
}
const slope = (i: number) => cross[i] / exactSq[i];
console.log(`\nslope of found on exact iris displacement: right eye x ${slope(0).toFixed(3)}, y ${slope(1).toFixed(3)}; left eye x ${slope(2).toFixed(3)}, y ${slope(3).toFixed(3)}`);
console.log(`mean found - exact (px): right (${(offset[0] / count).toFixed(2)}, ${(offset[1] / count).toFixed(2)}), left (${(offset[2] / count).toFixed(2)}, ${(offset[3] / count).toFixed(2)})`);
const depth = pupilDepth(eyes[0]);
const darkSlope = (i: number) => darkCross[i] / exactSq[i];
console.log(`rendered pupil (dark-pixel centroid) on exact: right x ${darkSlope(0).toFixed(3)}, y ${darkSlope(1).toFixed(3)}; left x ${darkSlope(2).toFixed(3)}, y ${darkSlope(3).toFixed(3)}: depth ${((depth * (darkSlope(0) + darkSlope(1) + darkSlope(2) + darkSlope(3))) / 4 * 1000).toFixed(2)} mm`);
console.log(`implied pupil depth from the x slope: ${((depth * (slope(0) + slope(2))) / 2 * 1000).toFixed(2)} mm, from y: ${((depth * (slope(1) + slope(3))) / 2 * 1000).toFixed(2)} mm`);
console.log(`depth of the point that turns with the head as the found iris centre does (looking ahead, head turned against frontal): ${((parallaxCross / parallaxSq) * 1000).toFixed(2)} mm; the eye part's iris ring (irisRingDepth): ${(irisRingDepth(eyes[0]) * 1000).toFixed(2)} mm`);
const meanRadius = radii.reduce((a, b) => a + b, 0) / radii.length;
console.log(`found iris radius: ${meanRadius.toFixed(2)} px (${((meanRadius * 0.6) / camera.focal * 1000).toFixed(2)} mm at 0.6 m)`);

/** Centroid of the dark (pupil) pixels within 5 px of (x, y), weighted by darkness. */
function darkCentroid(image: RgbaImage, x: number, y: number): [number, number] {
  let sx = 0, sy = 0, sw = 0;
  for (let py = Math.round(y) - 5; py <= Math.round(y) + 5; py++) for (let px = Math.round(x) - 5; px <= Math.round(x) + 5; px++) {
    if (Math.hypot(px - x, py - y) > 5) continue;
    const o = 4 * (py * image.width + px);
    const w = Math.max(0, 40 - (image.data[o] + image.data[o + 1] + image.data[o + 2]) / 3);
    sx += w * px; sy += w * py; sw += w;
  }
  return sw > 0 ? [sx / sw, sy / sw] : [x, y];
}

/** Both eyes' regions side by side, 4x, with the found iris centre (red) and exact pupil (green). */
function eyeStrip(image: RgbaImage, found: Float32Array | undefined, exact: Float32Array) {
  const half = 20, scale = 4, side = 2 * half * scale;
  const out = new Uint8ClampedArray(side * 2 * side * 4);
  for (let e = 0; e < 2; e++) {
    const cx = Math.round(exact[15 * e]), cy = Math.round(exact[15 * e + 1]);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, cx - half + Math.floor(x / scale)));
      const sy = Math.min(image.height - 1, Math.max(0, cy - half + Math.floor(y / scale)));
      const o = 4 * (y * 2 * side + e * side + x), s = 4 * (sy * image.width + sx);
      out[o] = image.data[s]; out[o + 1] = image.data[s + 1]; out[o + 2] = image.data[s + 2]; out[o + 3] = 255;
    }
    const mark = (px: number, py: number, colour: [number, number, number]) => {
      const mx = Math.round((px - (cx - half)) * scale), my = Math.round((py - (cy - half)) * scale);
      for (let d = -6; d <= 6; d++) for (const [x, y] of [[mx + d, my], [mx, my + d]]) {
        if (x < 0 || y < 0 || x >= side || y >= side) continue;
        out.set([...colour, 255], 4 * (y * 2 * side + e * side + x));
      }
    };
    mark(exact[15 * e] + 0.5, exact[15 * e + 1] + 0.5, [0, 255, 0]);
    if (found) for (let i = 0; i < 5; i++) mark(found[15 * e + 3 * i] + 0.5, found[15 * e + 3 * i + 1] + 0.5, [255, 0, 0]);
  }
  return { width: 2 * side, height: side, data: out } satisfies RgbaImage;
}
