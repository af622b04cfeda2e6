/** Per-vertex tables of the default head: seams, mirror partners, jaw contour, skin weights. */
import type { HeadSurface } from './head-surface.js';
import { smoothstep } from './mesh-utils.js';
import { CHIN, FACE_SIDE_LEFT, FACE_SIDE_RIGHT, LEFT_BROW, LEFT_EYE_LOOP, OUTER_LIPS, RIGHT_BROW, RIGHT_EYE_LOOP } from './regions.js';

/** Each vertex -> lowest-index vertex at exactly the same position. */
export function weldGroups(positions: Float32Array): Uint32Array {
  const n = positions.length / 3;
  const first = new Map<string, number>();
  const group = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const key = `${positions[3 * v]},${positions[3 * v + 1]},${positions[3 * v + 2]}`;
    const g = first.get(key);
    if (g === undefined) first.set(key, v);
    group[v] = g ?? v;
  }
  return group;
}

/** Nearest vertex to each vertex's mirror image across x = 0 (uniform grid search). */
export function mirrorVertices(positions: Float32Array, cell = 0.006): Uint32Array {
  const n = positions.length / 3;
  const grid = new Map<number, number[]>();
  const cellKey = (gx: number, gy: number, gz: number) => (gx + 512) * 1048576 + (gy + 512) * 1024 + (gz + 512);
  const key = (x: number, y: number, z: number) => cellKey(Math.floor(x / cell), Math.floor(y / cell), Math.floor(z / cell));
  for (let v = 0; v < n; v++) {
    const k = key(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]);
    let list = grid.get(k);
    if (!list) grid.set(k, (list = []));
    list.push(v);
  }
  const mirror = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const x = -positions[3 * v], y = positions[3 * v + 1], z = positions[3 * v + 2];
    let best = -1, bestD = Infinity;
    for (let reach = 1; best < 0; reach++) {
      const gx = Math.floor(x / cell), gy = Math.floor(y / cell), gz = Math.floor(z / cell);
      for (let i = -reach; i <= reach; i++) for (let j = -reach; j <= reach; j++) for (let k = -reach; k <= reach; k++) {
        for (const w of grid.get(cellKey(gx + i, gy + j, gz + k)) ?? []) {
          const d = (positions[3 * w] - x) ** 2 + (positions[3 * w + 1] - y) ** 2 + (positions[3 * w + 2] - z) ** 2;
          if (d < bestD || (d === bestD && w < best)) { bestD = d; best = w; }
        }
      }
      if (reach > 20) break;
    }
    mirror[v] = best;
  }
  return mirror;
}

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
