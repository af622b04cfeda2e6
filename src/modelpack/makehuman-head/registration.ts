/**
 * Non-rigid registration of one head surface onto another (build time): the source vertices are
 * pulled towards the nearest compatible point of the target (point-to-plane, normals agreeing),
 * and the pull is smoothed over the source mesh so the surface moves as a whole. The smoothing
 * shrinks over the iterations (coarse to fine). Used to carry the MediaPipe correspondence, the
 * expression blendshapes and the landmark-driven identity modes of the reference head over to hm08.
 */
import { computeVertexNormals } from '../head-model.js';
import { vertexNeighbours } from '../mesh-utils.js';
import { VertexGrid } from './nearest.js';

export interface RegistrationOptions {
  iterations?: number;
  /** Laplacian smoothing passes of the pull at the first and last iteration. */
  smoothingStart?: number;
  smoothingEnd?: number;
  /** Pulls longer than this (metres) are ignored as outliers. */
  maxDistance?: number;
  /** Source vertices that take part in matching (others just follow the smoothed field). */
  sourceActive?: Uint8Array;
  /** Target vertices that can be matched (e.g. outer skin only). */
  targetActive?: Uint8Array;
}

/** Returns the registered source positions (same layout as `source`). */
export function registerSurface(
  source: { positions: Float32Array; indices: Uint32Array; weldGroup?: Uint32Array },
  target: { positions: Float32Array; indices: Uint32Array },
  options: RegistrationOptions = {},
): Float32Array {
  const iterations = options.iterations ?? 40;
  const smoothingStart = options.smoothingStart ?? 120, smoothingEnd = options.smoothingEnd ?? 4;
  const maxDistance = options.maxDistance ?? 0.03;
  const n = source.positions.length / 3;
  const current = Float32Array.from(source.positions);
  const targetNormals = computeVertexNormals(target.positions, target.indices);
  const targetActive = options.targetActive;
  const grid = new VertexGrid(target.positions, 0.008, targetActive ? (v) => targetActive[v] === 1 : undefined);
  const { offsets, neighbours } = vertexNeighbours(n, source.indices);
  const pull = new Float32Array(n * 3), weight = new Float32Array(n);
  const smoothPull = new Float32Array(n * 3), smoothWeight = new Float32Array(n);
  const T = target.positions;
  for (let iteration = 0; iteration < iterations; iteration++) {
    const normals = computeVertexNormals(current, source.indices, source.weldGroup);
    pull.fill(0); weight.fill(0);
    for (let v = 0; v < n; v++) {
      if (options.sourceActive && !options.sourceActive[v]) continue;
      const x = current[3 * v], y = current[3 * v + 1], z = current[3 * v + 2];
      const nx = normals[3 * v], ny = normals[3 * v + 1], nz = normals[3 * v + 2];
      const q = grid.nearest(x, y, z, (t) => targetNormals[3 * t] * nx + targetNormals[3 * t + 1] * ny + targetNormals[3 * t + 2] * nz > 0.3, 5);
      if (q < 0) continue;
      const tx = targetNormals[3 * q], ty = targetNormals[3 * q + 1], tz = targetNormals[3 * q + 2];
      // Point-to-plane: move along the target normal onto its tangent plane, plus a small share of the in-plane offset.
      const dx = T[3 * q] - x, dy = T[3 * q + 1] - y, dz = T[3 * q + 2] - z;
      if (dx * dx + dy * dy + dz * dz > maxDistance * maxDistance) continue;
      const along = dx * tx + dy * ty + dz * tz;
      pull[3 * v] = along * tx + 0.2 * (dx - along * tx);
      pull[3 * v + 1] = along * ty + 0.2 * (dy - along * ty);
      pull[3 * v + 2] = along * tz + 0.2 * (dz - along * tz);
      weight[v] = 1;
    }
    const t = iterations > 1 ? iteration / (iterations - 1) : 1;
    const passes = Math.round(smoothingStart * Math.pow(smoothingEnd / smoothingStart, t));
    // Weighted Laplacian smoothing of the pull: unmatched vertices take their neighbours' pull.
    for (let pass = 0; pass < passes; pass++) {
      for (let v = 0; v < n; v++) {
        let sx = pull[3 * v] * weight[v], sy = pull[3 * v + 1] * weight[v], sz = pull[3 * v + 2] * weight[v], sw = weight[v];
        for (let e = offsets[v]; e < offsets[v + 1]; e++) {
          const u = neighbours[e];
          sx += pull[3 * u] * weight[u]; sy += pull[3 * u + 1] * weight[u]; sz += pull[3 * u + 2] * weight[u]; sw += weight[u];
        }
        const inv = sw > 0 ? 1 / sw : 0;
        smoothPull[3 * v] = sx * inv; smoothPull[3 * v + 1] = sy * inv; smoothPull[3 * v + 2] = sz * inv;
        smoothWeight[v] = sw / (1 + offsets[v + 1] - offsets[v]);
      }
      pull.set(smoothPull);
      weight.set(smoothWeight);
    }
    // Seam copies (split for UVs) move together.
    if (source.weldGroup) {
      for (let v = 0; v < n; v++) {
        const g = source.weldGroup[v];
        if (g !== v) for (let a = 0; a < 3; a++) pull[3 * v + a] = pull[3 * g + a];
      }
    }
    for (let i = 0; i < n * 3; i++) current[i] += pull[i];
  }
  return current;
}
