/**
 * The tracker's per-frame solve on synthetic observations: the avatar's own 468 points and pupils
 * projected with known random sparse ARKit weights, pose and gaze, plus pixel noise. Prints the
 * solve time per frame (warm start, as in a video) and the recovered weight, pose and gaze errors.
 * Asserts nothing.
 *   npx tsx bench/track-solve.ts [--avatar x.avatar] [--frames 200] [--noise 0.5] [--sparsity S]
 */
import os from 'node:os';
import { rotationToEulerDegrees } from '../src/fitting/camera-math.js';
import { ExpressionSolver } from '../src/tracking/expression-solver.js';
import { GazeSolver } from '../src/tracking/gaze.js';
import { seededRandom } from '../test/helpers/random.js';
import { observeTruth, randomTruth } from '../test/tracking/synthetic-frames.js';
import { benchAvatar, numberOption, stringOption } from './track-avatar.js';

const frames = numberOption('--frames', 200);
const noisePx = numberOption('--noise', 0.5);
const data = await benchAvatar();
const camera = { focal: 1.2 * 640, cx: 319.5, cy: 239.5 };
const solver = new ExpressionSolver(data, stringOption('--sparsity') ? { sparsity: numberOption('--sparsity', 100) } : {});
const gazeSolver = new GazeSolver(data);
const random = seededRandom(15);
const names = data.model.expressionNames;
console.log(`${data.model.id}: ${names.length} targets; ${frames} frames at ${noisePx} px noise; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const solveMs: number[] = [];
let solveCpu = 0;
const gazeMs: number[] = [];
let weightError = 0, poseError = 0, worstPose = 0, gazeError = 0, iterations = 0;
for (let f = 0; f < frames; f++) {
  const truth = randomTruth(data, random);
  const face = observeTruth(data, truth, camera, noisePx, random);
  let t = performance.now();
  const cpu = cpuMs();
  const solved = await solver.solve(face, camera, truth.weights);
  if (f > 0) { solveMs.push(performance.now() - t); solveCpu += cpuMs() - cpu; }
  t = performance.now();
  const gaze = gazeSolver.solve(face.iris, solved.rotation, solved.translation, camera, { yawRad: 0, pitchRad: 0 }, { yawRad: 0, pitchRad: 0 });
  if (f > 0) gazeMs.push(performance.now() - t);
  iterations += solved.iterations;
  let sum = 0, count = 0;
  names.forEach((name, k) => { if (!/^eyeLook/i.test(name)) { sum += Math.abs(solved.weights[k] - truth.weights[k]); count++; } });
  weightError += sum / count;
  const pose = rotationToEulerDegrees(solved.rotation);
  const angles = [Math.abs(pose.yawDeg - truth.yawDeg), Math.abs(pose.pitchDeg - truth.pitchDeg), Math.abs(pose.rollDeg - truth.rollDeg)];
  poseError += (angles[0] + angles[1] + angles[2]) / 3;
  worstPose = Math.max(worstPose, ...angles);
  gazeError += Math.hypot((gaze.yawRad * 180) / Math.PI - truth.gazeYawDeg, (gaze.pitchRad * 180) / Math.PI - truth.gazePitchDeg);
}
const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ms, p90 ${sorted[Math.floor(sorted.length * 0.9)].toFixed(2)} ms, mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(2)} ms`;
};
console.log(`solve (pose + weights): ${stats(solveMs)}; ${(iterations / frames).toFixed(1)} iterations/frame; process CPU ${(solveCpu / (frames - 1)).toFixed(2)} ms/solve`);
console.log(`gaze: ${stats(gazeMs)}`);
console.log(`weight MAE ${(weightError / frames).toFixed(4)} (non-eyeLook targets), pose error ${(poseError / frames).toFixed(2)} deg (mean |yaw|,|pitch|,|roll|; worst ${worstPose.toFixed(2)}), gaze error ${(gazeError / frames).toFixed(2)} deg`);

