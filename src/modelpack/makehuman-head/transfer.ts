/**
 * Carries per-vertex data of the reference head over to the new head through a registration: every
 * new vertex takes the value of the nearest registered old vertex whose normal agrees (so outer
 * skin never takes values from the mouth pocket or an eye socket behind it).
 */
import { computeVertexNormals } from '../head-model.js';
import { vertexNeighbours } from '../mesh-utils.js';
import { VertexGrid } from './nearest.js';

/** For each target vertex, the source vertex it takes its data from. */
export function nearestSourceVertices(
  registeredSource: Float32Array,
  sourceIndices: Uint32Array,
  sourceWeld: Uint32Array,
  target: Float32Array,
  targetIndices: Uint32Array,
  targetWeld: Uint32Array,
): Uint32Array {
  const sourceNormals = computeVertexNormals(registeredSource, sourceIndices, sourceWeld);
  const targetNormals = computeVertexNormals(target, targetIndices, targetWeld);
  const grid = new VertexGrid(registeredSource, 0.006);
  const n = target.length / 3;
  const result = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const nx = targetNormals[3 * v], ny = targetNormals[3 * v + 1], nz = targetNormals[3 * v + 2];
    let s = grid.nearest(target[3 * v], target[3 * v + 1], target[3 * v + 2], (o) => sourceNormals[3 * o] * nx + sourceNormals[3 * o + 1] * ny + sourceNormals[3 * o + 2] * nz > 0, 8);
    if (s < 0) s = grid.nearest(target[3 * v], target[3 * v + 1], target[3 * v + 2], undefined, 40);
    result[v] = s;
  }
  return result;
}

/** Gathers mode-major xyz fields (modes x sourceCount*3) at the given source vertices. */
export function gatherModes(modes: Float32Array, sourceCount: number, from: Uint32Array): Float32Array {
  const modeCount = modes.length / (sourceCount * 3);
  const n = from.length;
  const out = new Float32Array(modeCount * n * 3);
  for (let k = 0; k < modeCount; k++) {
    const src = k * sourceCount * 3, dst = k * n * 3;
    for (let v = 0; v < n; v++) {
      const o = src + from[v] * 3;
      out[dst + 3 * v] = modes[o]; out[dst + 3 * v + 1] = modes[o + 1]; out[dst + 3 * v + 2] = modes[o + 2];
    }
  }
  return out;
}

export function gatherScalars(values: Float32Array, from: Uint32Array): Float32Array {
  return Float32Array.from(from, (o) => values[o]);
}

/**
 * Laplacian smoothing of mode-major xyz fields over the target mesh's edges (seam copies welded).
 * Nearest-vertex transfer is piecewise constant and can tear neighbouring vertices apart where they
 * took values from different parts of the old head; a few passes over the new mesh's own edges mend
 * that while keeping the mouth slit, whose two lips share no edge, free to open.
 */
export function smoothModes(modes: Float32Array, indices: Uint32Array, weldGroup: Uint32Array, passes: number): Float32Array {
  const n = weldGroup.length;
  const welded = Uint32Array.from(indices, (v) => weldGroup[v]);
  const { offsets, neighbours } = vertexNeighbours(n, welded);
  const modeCount = modes.length / (n * 3);
  const out = Float32Array.from(modes);
  const scratch = new Float32Array(n * 3);
  for (let k = 0; k < modeCount; k++) {
    const field = out.subarray(k * n * 3, (k + 1) * n * 3);
    for (let pass = 0; pass < passes; pass++) {
      for (let v = 0; v < n; v++) {
        if (weldGroup[v] !== v) continue;
        let sx = field[3 * v], sy = field[3 * v + 1], sz = field[3 * v + 2];
        const count = offsets[v + 1] - offsets[v];
        for (let e = offsets[v]; e < offsets[v + 1]; e++) {
          const u = neighbours[e];
          sx += field[3 * u]; sy += field[3 * u + 1]; sz += field[3 * u + 2];
        }
        scratch[3 * v] = sx / (count + 1); scratch[3 * v + 1] = sy / (count + 1); scratch[3 * v + 2] = sz / (count + 1);
      }
      for (let v = 0; v < n; v++) {
        const g = weldGroup[v];
        field[3 * v] = scratch[3 * g]; field[3 * v + 1] = scratch[3 * g + 1]; field[3 * v + 2] = scratch[3 * g + 2];
      }
    }
  }
  return out;
}
