/** Per-vertex tables of the reference head: jaw contour, skin weights. */
import type { HeadSurface } from './head-surface.js';
import { smoothstep } from '../mesh-utils.js';
import { CHIN, FACE_SIDE_LEFT, FACE_SIDE_RIGHT, LEFT_BROW, LEFT_EYE_LOOP, OUTER_LIPS, RIGHT_BROW, RIGHT_EYE_LOOP } from '../../inference/face/mediapipe-regions.js';

/** Face-loop vertices from the subject's right side (-X) under the chin to the left side. */
export function jawContour(surface: HeadSurface): Uint32Array {
  const loop = surface.faceLoop;
  const n = loop.length;
  const start = loop.indexOf(FACE_SIDE_RIGHT), chin = loop.indexOf(CHIN), end = loop.indexOf(FACE_SIDE_LEFT);
  if (start < 0 || chin < 0 || end < 0) throw new Error('default head: face loop lacks the jaw landmarks');
  // Walk in the direction that reaches the chin before the other side.
  const forward = (chin - start + n) % n < (end - start + n) % n;
  const out: number[] = [];
  for (let i = start; ; i = (i + (forward ? 1 : n - 1)) % n) {
    out.push(loop[i]);
    if (i === end) break;
  }
  return Uint32Array.from(out);
}

function distanceToPolygon(px: number, py: number, positions: Float32Array, polygon: number[]): { distance: number; inside: boolean } {
  let inside = false;
  let best = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const ax = positions[3 * polygon[j]], ay = positions[3 * polygon[j] + 1];
    const bx = positions[3 * polygon[i]], by = positions[3 * polygon[i] + 1];
    if ((by > py) !== (ay > py) && px < ((ax - bx) * (py - by)) / (ay - by) + bx) inside = !inside;
    const ex = bx - ax, ey = by - ay;
    const t = Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey || 1)));
    best = Math.min(best, Math.hypot(px - ax - t * ex, py - ay - t * ey));
  }
  return { distance: best, inside };
}

function distanceToPoints(px: number, py: number, pz: number, positions: Float32Array, points: number[]): number {
  let best = Infinity;
  for (const p of points) {
    best = Math.min(best, Math.hypot(px - positions[3 * p], py - positions[3 * p + 1], pz - positions[3 * p + 2]));
  }
  return best;
}

/**
 * 1 on facial skin; 0 on the eyes (lid edges and sockets), brows, lips and mouth pocket, the hair
 * area of the cranium, and fading out down the neck.
 */
export function skinWeights(surface: HeadSurface): Float32Array {
  const P = surface.positions;
  const n = P.length / 3;
  const weight = new Float32Array(n);
  for (let v = 0; v < surface.faceVertexCount; v++) {
    if (surface.mouthPocket[v] || surface.eyeSocket[v]) continue;
    const x = P[3 * v], y = P[3 * v + 1], z = P[3 * v + 2];
    let w = 1;
    for (const loop of [RIGHT_EYE_LOOP, LEFT_EYE_LOOP]) {
      const { distance, inside } = distanceToPolygon(x, y, P, loop);
      w = Math.min(w, inside ? 0 : smoothstep(0.002, 0.005, distance));
    }
    const lips = distanceToPolygon(x, y, P, OUTER_LIPS);
    if (z > 0.03) w = Math.min(w, lips.inside ? 0 : smoothstep(0.001, 0.004, lips.distance));
    w = Math.min(w, smoothstep(0.005, 0.009, distanceToPoints(x, y, z, P, RIGHT_BROW)));
    w = Math.min(w, smoothstep(0.005, 0.009, distanceToPoints(x, y, z, P, LEFT_BROW)));
    weight[v] = w;
  }
  const { firstVertex, seamDistance, columnAngle } = surface.cranium;
  for (let v = firstVertex; v < n; v++) {
    const i = v - firstVertex;
    const hair = smoothstep(-0.6, 0.1, Math.sin(columnAngle[i]));
    const hairFade = 1 - smoothstep(0.0, 0.015, seamDistance[i]);
    const neckFade = 1 - smoothstep(0.02, 0.07, seamDistance[i]);
    weight[v] = hair * hairFade + (1 - hair) * neckFade;
  }
  return weight;
}
