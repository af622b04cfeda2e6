/**
 * Tracking accuracy on synthetic truth: the avatar rendered by the project's rasterizer with known
 * random sparse ARKit weights, head pose and gaze (keyframes every 10 frames, eased between, like a
 * video), under varied light, background and pixel noise; the real tracker (face models + solve)
 * recovers them. Prints per-target weight errors (and what predicting all zeros would score), pose
 * and gaze errors with their signed means, and the per-frame time breakdown, wall and process CPU.
 * Asserts nothing.
 *   npx tsx bench/track-synthetic.ts [--avatar x.avatar] [--frames 100] [--smooth] [--images DIR]
 *     [--seed N]   the truth and looks drawn (default 2026)
 *     [--threads N] [--sparsity S] [--calibrate photo|render|none]   landmark calibration: the avatar's photo (default), a neutral render, none
 *     [--no-calibrate-pose]   with --calibrate render: solve the calibration frame's head pose instead of taking it as straight ahead (the tracker's calibratePose: false)
 *     [--both-irises]   Iris on both eyes every frame (the tracker's alternateIris: false)
 *     [--no-limbus]   the Iris model's centres for the gaze, without the limbus refinement (the tracker's refineIris: false)
 *     [--mesh faceMesh|attention|attentionIris]   the landmark model (the tracker's meshModel; default faceMesh)
 *     [--no-mirrored-mesh]   FaceMesh on the crop only, not also on the flipped crop (the tracker's mirroredMesh: false)
 *     [--clock cpu|wall]   stage timings in process CPU time (default: the machine is shared) or wall time
 *     [--sampling realistic|uniform]   expression truth: common webcam expressions (default) or 1-3 uniformly drawn targets
 *     [--dump FILE.json]   writes per frame the truth, the tracked pose and weights and the face models' points (every tracked frame, eyesOpen saying which count for the gaze), for studying the pose and gaze offline
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../src/image/encode.js';
import { configureRuntime } from '../src/inference/runtime.js';
import type { MeshModel } from '../src/inference/face/analyzer.js';
import { FaceTracker } from '../src/tracking/face-tracker.js';
import { GazeSolver } from '../src/tracking/gaze.js';
import type { RgbaImage } from '../src/types.js';
import { seededRandom } from '../test/helpers/random.js';
import { DEFAULT_RANGES, interpolateTruth, observeTruth, randomLook, randomTruth, renderTruth, type TrackingTruth, type TruthRanges } from '../test/tracking/synthetic-frames.js';
import { benchAvatar, numberOption, stringOption } from './track-avatar.js';

/** Gaze errors against the truth: mean angle, signed mean and least-squares slope (tracked on true; 1 = right scale) per axis. */
class GazeStats {
  private error = 0; private count = 0;
  private readonly found: [number, number, number, number][] = [];
  private readonly bias = [0, 0]; private readonly cross = [0, 0]; private readonly trueSq = [0, 0];
  add(yawDeg: number, pitchDeg: number, truth: TrackingTruth): number {
    const error = angleBetween(yawDeg, pitchDeg, truth.gazeYawDeg, truth.gazePitchDeg);
    this.error += error; this.count++;
    this.found.push([yawDeg, pitchDeg, truth.gazeYawDeg, truth.gazePitchDeg]);
    [[yawDeg, truth.gazeYawDeg], [pitchDeg, truth.gazePitchDeg]].forEach(([found, wanted], a) => {
      this.bias[a] += found - wanted; this.cross[a] += found * wanted; this.trueSq[a] += wanted * wanted;
    });
    return error;
  }
  get meanError(): number {
    return this.error / Math.max(1, this.count);
  }
  toString(): string {
    const n = Math.max(1, this.count);
    // What a perfect constant correction (such as the straight-ahead calibration) would leave.
    let debiased = 0;
    for (const [yaw, pitch, trueYaw, truePitch] of this.found) debiased += angleBetween(yaw - this.bias[0] / n, pitch - this.bias[1] / n, trueYaw, truePitch) / n;
    return `${this.meanError.toFixed(2)} deg (${debiased.toFixed(2)} without the mean bias); yaw bias ${(this.bias[0] / n).toFixed(2)}, slope ${(this.cross[0] / this.trueSq[0]).toFixed(2)}; pitch bias ${(this.bias[1] / n).toFixed(2)}, slope ${(this.cross[1] / this.trueSq[1]).toFixed(2)}`;
  }
}

const frames = numberOption('--frames', 100);
const clock = stringOption('--clock') === 'wall' ? 'wall' : 'cpu';
// The tracker times its stages with performance.now(); on a shared machine process CPU time says more.
if (clock === 'cpu') performance.now = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };
const smooth = process.argv.includes('--smooth');
const imageDir = stringOption('--images');
const size = { width: 640, height: 480 };
const camera = { focal: 1.2 * size.width, cx: (size.width - 1) / 2, cy: (size.height - 1) / 2 };
if (stringOption('--threads')) configureRuntime({ numThreads: numberOption('--threads', 2) });
const data = await benchAvatar();
const names = data.model.expressionNames;
const E = names.length;
const calibration = stringOption('--calibrate') ?? 'photo';
const sparsity = stringOption('--sparsity') ? numberOption('--sparsity', 0) : undefined;
const ranges: TruthRanges = { ...DEFAULT_RANGES, sampling: stringOption('--sampling') === 'uniform' ? 'uniform' : 'realistic' };
const tracker = await FaceTracker.create(data, { backend: 'wasm', smoothing: smooth ? {} : false, calibration: calibration === 'photo' ? 'photo' : false, sparsity, calibratePose: !process.argv.includes('--no-calibrate-pose'), alternateIris: !process.argv.includes('--both-irises'), refineIris: !process.argv.includes('--no-limbus'), meshModel: (stringOption('--mesh') ?? 'faceMesh') as MeshModel, mirroredMesh: process.argv.includes('--no-mirrored-mesh') ? false : undefined });
const random = seededRandom(numberOption('--seed', 2026));
const dumpFile = stringOption('--dump');
const dump: { camera: typeof camera; calibration?: Record<string, number[]>; frames: Record<string, unknown>[] } = { camera, frames: [] };
if (calibration === 'render') {
  // A neutral, frontal render of the avatar: the tracked "person" holding still for calibration.
  const neutral = randomTruth(data, seededRandom(1), { ...DEFAULT_RANGES, yawDeg: 0, pitchDeg: 0, rollDeg: 0, gazeYawDeg: 0, gazePitchDeg: 0 });
  neutral.weights.fill(0);
  neutral.translation.set([0, 0, -DEFAULT_RANGES.distance]);
  const seen = await tracker.calibrate(renderTruth(data, neutral, camera, size, randomLook(data, seededRandom(1), 0), seededRandom(1)));
  dump.calibration = { iris: Array.from(seen.face.iris), landmarks468: Array.from(seen.face.landmarks468), rotation: Array.from(seen.rotation), translation: Array.from(seen.translation), truthRotation: Array.from(neutral.rotation), truthTranslation: Array.from(neutral.translation) };
}
console.log(`${data.model.id}, seed ${numberOption('--seed', 2026)}, ${frames} frames ${size.width}x${size.height}, ${ranges.sampling} expressions, smoothing ${smooth ? 'on' : 'off'}, calibration ${calibration}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
if (imageDir) await mkdir(imageDir, { recursive: true });

const KEY_EVERY = 10;
let keyA = randomTruth(data, random, ranges), keyB = randomTruth(data, random, ranges);
const absError = new Float64Array(E);
const truthActive = new Float64Array(E);
const activeTargetError = new Float64Array(E);
// Errors split by whether the target is active in the truth, and what predicting all zeros would score.
let activeError = 0, activeCount = 0, inactiveError = 0, inactiveCount = 0, zeroBaseline = 0, activeTruthSum = 0;
// Iris centre found by the Iris model minus where the gaze model expects it (irisCentreInHead; the
// renders paint the eye texture on the cornea), per eye (x, y), px.
const irisOffset = new Float64Array(4);
// The gaze error split, each a solve of the same frame without the tracker's gaze calibration: the
// exact pupils with the tracked head pose, and the found irises with the true head pose.
const gazeProbe = new GazeSolver(data);
let heldGazeFrames = 0, heldGazeError = 0, limbusEyes = 0;
const gazeStats = {
  tracked: new GazeStats(), exactPupilsTrackedPose: new GazeStats(), foundIrisesTruePose: new GazeStats(),
};
let yawBias = 0, pitchBias = 0, rollBias = 0, cpuMs = 0, wallMs = 0;
let poseError = 0, yawError = 0, pitchError = 0, rollError = 0, tracked = 0, gazeFrames = 0, renderMs = 0;
const timings: Record<string, number> = {};
const DEG = 180 / Math.PI;
for (let f = 0; f < frames; f++) {
  if (f > 0 && f % KEY_EVERY === 0) { keyA = keyB; keyB = randomTruth(data, random, ranges); }
  const truth = interpolateTruth(keyA, keyB, (f % KEY_EVERY) / KEY_EVERY);
  const look = randomLook(data, random);
  let t = performance.now();
  const image = renderTruth(data, truth, camera, size, look, random);
  renderMs += performance.now() - t;
  const cpu = process.cpuUsage();
  const wall = Date.now();
  const frame = await tracker.track(image, f / 30);
  const cpuUsed = process.cpuUsage(cpu);
  if (!frame) { console.log(`frame ${f}: no face found`); continue; }
  tracked++;
  wallMs += Date.now() - wall;
  cpuMs += (cpuUsed.user + cpuUsed.system) / 1000;
  for (const [key, ms] of Object.entries(frame.timings)) timings[key] = (timings[key] ?? 0) + ms;
  for (let k = 0; k < E; k++) {
    absError[k] += Math.abs(frame.weights[k] - truth.weights[k]);
    truthActive[k] += truth.weights[k] > 0.05 ? 1 : 0;
    if (truth.weights[k] > 0.05) activeTargetError[k] += Math.abs(frame.weights[k] - truth.weights[k]);
    if (/^eyeLook/i.test(names[k])) continue;
    const error = Math.abs(frame.weights[k] - truth.weights[k]);
    if (truth.weights[k] > 0.05) { activeError += error; activeCount++; activeTruthSum += truth.weights[k]; } else { inactiveError += error; inactiveCount++; }
    zeroBaseline += truth.weights[k];
  }
  const R = frame.rotation, T = truth.rotation;
  let trace = 0;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) trace += R[r * 3 + c] * T[r * 3 + c];
  poseError += Math.acos(Math.min(1, Math.max(-1, (trace - 1) / 2))) * DEG;
  yawError += Math.abs(frame.pose.yawDeg - truth.yawDeg);
  pitchError += Math.abs(frame.pose.pitchDeg - truth.pitchDeg);
  rollError += Math.abs(frame.pose.rollDeg - truth.rollDeg);
  yawBias += frame.pose.yawDeg - truth.yawDeg;
  pitchBias += frame.pose.pitchDeg - truth.pitchDeg;
  rollBias += frame.pose.rollDeg - truth.rollDeg;
  const eyesOpen = names.every((name, k) => !/^eyeBlink/i.test(name) || truth.weights[k] < 0.5);
  if (eyesOpen) {
    const error = gazeStats.tracked.add(frame.gaze.yawDeg, frame.gaze.pitchDeg, truth);
    // The tracker holds the last gaze while its own blink estimate says the lids hide the irises.
    if (names.some((name, k) => /^eyeBlink/i.test(name) && frame.weights[k] >= 0.5)) { heldGazeFrames++; heldGazeError += error; }
    gazeFrames++;
    const exact = observeTruth(data, truth, camera, 0, () => 0.5).iris;
    const probe = (stats: GazeStats, iris: Float32Array, rotation: Float64Array, translation: Float64Array) => {
      const gaze = gazeProbe.solve(iris, rotation, translation, camera, { yawRad: 0, pitchRad: 0 }, { yawRad: 0, pitchRad: 0 });
      stats.add(gaze.yawRad * DEG, gaze.pitchRad * DEG, truth);
    };
    probe(gazeStats.exactPupilsTrackedPose, exact, frame.rotation, frame.translation);
    const used = new Float32Array(30), readings = frame.gazeIris.readings;
    used.set(frame.gazeIris.centres.subarray(0, 2), 0);
    used.set(frame.gazeIris.centres.subarray(2, 4), 15);
    limbusEyes += readings.filter((reading) => reading === 'limbus').length;
    const gaze = gazeProbe.solve(used, truth.rotation, truth.translation, camera, { yawRad: 0, pitchRad: 0 }, { yawRad: 0, pitchRad: 0 }, readings);
    gazeStats.foundIrisesTruePose.add(gaze.yawRad * DEG, gaze.pitchRad * DEG, truth);
    for (let e = 0; e < 2; e++) for (let c = 0; c < 2; c++) irisOffset[2 * e + c] += frame.face.iris[15 * e + c] - exact[15 * e + c];
  }
  if (dumpFile) {
    dump.frames.push({
      frame: f, eyesOpen, truthGaze: [truth.gazeYawDeg, truth.gazePitchDeg], truthRotation: Array.from(truth.rotation), truthTranslation: Array.from(truth.translation),
      truthWeights: Array.from(truth.weights), rotation: Array.from(frame.rotation), translation: Array.from(frame.translation), weights: Array.from(frame.weights),
      gaze: [frame.gaze.yawDeg, frame.gaze.pitchDeg], iris: Array.from(frame.face.iris), gazeIris: Array.from(frame.gazeIris.centres), readings: frame.gazeIris.readings,
      exactIris: Array.from(observeTruth(data, truth, camera, 0, () => 0.5).iris), landmarks468: Array.from(frame.face.landmarks468),
    });
  }
  if (imageDir && f % 10 === 5) {
    const estimate: TrackingTruth = {
      weights: Float64Array.from(frame.weights), yawDeg: frame.pose.yawDeg, pitchDeg: frame.pose.pitchDeg, rollDeg: frame.pose.rollDeg,
      gazeYawDeg: frame.gaze.yawDeg, gazePitchDeg: frame.gaze.pitchDeg, rotation: frame.rotation, translation: frame.translation,
    };
    // Its own random source: writing images must not change the truth that later frames draw.
    const rendered = renderTruth(data, estimate, camera, size, { ...look, noise: 0 }, seededRandom(f));
    await writeFile(path.join(imageDir, `frame-${String(f).padStart(3, '0')}.png`), encodePng(sideBySide(image, rendered)));
  }
}

function angleBetween(yawA: number, pitchA: number, yawB: number, pitchB: number): number {
  const dir = (yaw: number, pitch: number) => [Math.sin(yaw / DEG) * Math.cos(pitch / DEG), Math.sin(pitch / DEG), Math.cos(yaw / DEG) * Math.cos(pitch / DEG)];
  const a = dir(yawA, pitchA), b = dir(yawB, pitchB);
  return Math.acos(Math.min(1, a[0] * b[0] + a[1] * b[1] + a[2] * b[2])) * DEG;
}

function sideBySide(a: RgbaImage, b: RgbaImage): RgbaImage {
  const out = new Uint8ClampedArray(a.width * 2 * a.height * 4);
  for (let y = 0; y < a.height; y++) {
    out.set(a.data.subarray(y * a.width * 4, (y + 1) * a.width * 4), y * a.width * 8);
    out.set(b.data.subarray(y * a.width * 4, (y + 1) * a.width * 4), y * a.width * 8 + a.width * 4);
  }
  return { width: a.width * 2, height: a.height, data: out };
}

if (dumpFile) await writeFile(dumpFile, JSON.stringify(dump));
const n = Math.max(1, tracked);
console.log(`\ntracked ${tracked}/${frames} frames; render ${(renderMs / frames).toFixed(0)} ms/frame (${clock}; not part of tracking)`);
console.log('\nper-target weight MAE (truth active = frames with truth weight > 0.05):');
const rows = names.map((name, k) => ({ name, mae: absError[k] / n, active: truthActive[k], activeMae: activeTargetError[k] / Math.max(1, truthActive[k]) }))
  .sort((a, b) => b.mae - a.mae);
for (const row of rows) {
  const activePart = row.active > 0 ? `, MAE ${row.activeMae.toFixed(3)} in them` : '';
  console.log(`  ${row.name.padEnd(18)} ${row.mae.toFixed(3)}  (active in ${row.active} frames${activePart})${row.mae > 0.08 || row.activeMae > 0.3 ? '  <- hard' : ''}`);
}
let total = 0, totalNoLook = 0, noLookCount = 0;
names.forEach((name, k) => { total += absError[k] / n; if (!/^eyeLook/i.test(name)) { totalNoLook += absError[k] / n; noLookCount++; } });
console.log(`\nweight MAE: ${(total / E).toFixed(4)} over all ${E} targets; ${(totalNoLook / noLookCount).toFixed(4)} over the ${noLookCount} non-eyeLook targets`);
console.log(`non-eyeLook targets: MAE ${(totalNoLook / noLookCount).toFixed(4)} (all zeros would score ${(zeroBaseline / (activeCount + inactiveCount)).toFixed(4)}); where the truth is active (> 0.05, ${activeCount} target-frames) MAE ${(activeError / Math.max(1, activeCount)).toFixed(4)} (all zeros ${(activeTruthSum / Math.max(1, activeCount)).toFixed(4)}); where it is 0: ${(inactiveError / Math.max(1, inactiveCount)).toFixed(4)}`);
console.log(`pose error: ${(poseError / n).toFixed(2)} deg (rotation angle); |yaw| ${(yawError / n).toFixed(2)}, |pitch| ${(pitchError / n).toFixed(2)}, |roll| ${(rollError / n).toFixed(2)} deg; mean signed yaw ${(yawBias / n).toFixed(2)}, pitch ${(pitchBias / n).toFixed(2)}, roll ${(rollBias / n).toFixed(2)} deg`);
console.log(`gaze error (${gazeFrames} frames with open eyes): ${gazeStats.tracked}`);
console.log(`  of which ${heldGazeFrames} frames held the last gaze (tracked blink >= 0.5 with the truth's eyes open): error ${(heldGazeError / Math.max(1, heldGazeFrames)).toFixed(2)} deg there`);
console.log('  the same frames solved again without the gaze calibration:');
console.log(`    exact pupils, tracked head pose: ${gazeStats.exactPupilsTrackedPose}`);
console.log(`    found irises, true head pose:    ${gazeStats.foundIrisesTruePose}`);
console.log(`  iris centres refined on the limbus: ${limbusEyes} of ${2 * gazeFrames} eyes`);
const g = Math.max(1, gazeFrames);
console.log(`iris centre minus the gaze model's point (mean, px): subject's right eye (${(irisOffset[0] / g).toFixed(2)}, ${(irisOffset[1] / g).toFixed(2)}), left eye (${(irisOffset[2] / g).toFixed(2)}, ${(irisOffset[3] / g).toFixed(2)})`);
console.log(`\nper-frame time (${clock === 'cpu' ? 'process CPU' : 'wall'} ms, mean over tracked frames): ${Object.entries(timings).map(([key, ms]) => `${key} ${(ms / n).toFixed(1)}`).join(', ')}`);
console.log(`whole track() call: ${(wallMs / n).toFixed(1)} ms wall, ${(cpuMs / n).toFixed(1)} ms process CPU per frame (load ${os.loadavg()[0].toFixed(1)})`);
