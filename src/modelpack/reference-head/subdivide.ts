/**
 * Loop subdivision that keeps the input vertices first (index i stays vertex i), so landmark
 * indices of the coarse mesh stay valid. Attributes such as UVs are interpolated linearly (midpoints),
 * positions with Loop's smoothing masks (boundary edges follow the cubic B-spline curve rule).
 */
import { edgeKey } from '../mesh-utils.js';

export interface SubdivisionStep {
  /** Per new vertex (after the coarse ones): the edge's two endpoints. */
  edgeEnds: Uint32Array;
  /** Per new vertex: the two opposite corners (or 0xffffffff on a boundary edge). */
  edgeOpposite: Uint32Array;
  indices: Uint32Array;
  coarseCount: number;
  /** CSR one-ring of the coarse mesh, with boundary neighbours listed separately. */
  ringOffsets: Uint32Array;
  ring: Uint32Array;
  boundaryPrev: Int32Array;
  boundaryNext: Int32Array;
}

const NONE = 0xffffffff;

/** Topology of one subdivision step (independent of positions, reusable). */
export function subdivisionStep(coarseCount: number, indices: Uint32Array): SubdivisionStep {
  const edgeIndex = new Map<number, number>();
  const ends: number[] = [];
  const opposite: number[] = [];
  const edgeVertex = (a: number, b: number, c: number): number => {
    const key = edgeKey(a, b);
    let e = edgeIndex.get(key);
    if (e === undefined) {
      e = ends.length / 2;
      edgeIndex.set(key, e);
      ends.push(a, b);
      opposite.push(c, NONE);
    } else {
      opposite[2 * e + 1] = c;
    }
    return coarseCount + e;
  };
  const fine: number[] = [];
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    const ab = edgeVertex(a, b, c), bc = edgeVertex(b, c, a), ca = edgeVertex(c, a, b);
    fine.push(a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca);
  }
  // One-ring and boundary neighbours of the coarse vertices.
  const sets: number[][] = Array.from({ length: coarseCount }, () => []);
  const boundaryPrev = new Int32Array(coarseCount).fill(-1);
  const boundaryNext = new Int32Array(coarseCount).fill(-1);
  for (let e = 0; e < ends.length / 2; e++) {
    const a = ends[2 * e], b = ends[2 * e + 1];
    sets[a].push(b);
    sets[b].push(a);
  }
  for (let t = 0; t < indices.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = indices[t + k], b = indices[t + ((k + 1) % 3)];
      if (opposite[2 * edgeIndex.get(edgeKey(a, b))! + 1] === NONE) {
        boundaryNext[a] = b;
        boundaryPrev[b] = a;
      }
    }
  }
  const ringOffsets = new Uint32Array(coarseCount + 1);
  for (let v = 0; v < coarseCount; v++) ringOffsets[v + 1] = ringOffsets[v] + sets[v].length;
  const ring = new Uint32Array(ringOffsets[coarseCount]);
  for (let v = 0; v < coarseCount; v++) ring.set(sets[v], ringOffsets[v]);
  return {
    edgeEnds: Uint32Array.from(ends),
    edgeOpposite: Uint32Array.from(opposite),
    indices: Uint32Array.from(fine),
    coarseCount,
    ringOffsets,
    ring,
    boundaryPrev,
    boundaryNext,
  };
}

/** Applies Loop's masks to a per-vertex attribute with `size` components. */
export function loopPositions(step: SubdivisionStep, coarse: Float32Array, size = 3): Float32Array {
  const n = step.coarseCount;
  const edgeCount = step.edgeEnds.length / 2;
  const out = new Float32Array((n + edgeCount) * size);
  for (let v = 0; v < n; v++) {
    const o = v * size;
    if (step.boundaryNext[v] >= 0 && step.boundaryPrev[v] >= 0) {
      const p = step.boundaryPrev[v] * size, q = step.boundaryNext[v] * size;
      for (let k = 0; k < size; k++) out[o + k] = 0.75 * coarse[o + k] + 0.125 * (coarse[p + k] + coarse[q + k]);
      continue;
    }
    const start = step.ringOffsets[v], end = step.ringOffsets[v + 1];
    const valence = end - start;
    const beta = valence === 3 ? 3 / 16 : 3 / (8 * valence);
    for (let k = 0; k < size; k++) {
      let sum = 0;
      for (let r = start; r < end; r++) sum += coarse[step.ring[r] * size + k];
      out[o + k] = (1 - valence * beta) * coarse[o + k] + beta * sum;
    }
  }
  for (let e = 0; e < edgeCount; e++) {
    const a = step.edgeEnds[2 * e] * size, b = step.edgeEnds[2 * e + 1] * size;
    const c = step.edgeOpposite[2 * e], d = step.edgeOpposite[2 * e + 1];
    const o = (n + e) * size;
    if (d === NONE) {
      for (let k = 0; k < size; k++) out[o + k] = 0.5 * (coarse[a + k] + coarse[b + k]);
    } else {
      for (let k = 0; k < size; k++) {
        out[o + k] = 0.375 * (coarse[a + k] + coarse[b + k]) + 0.125 * (coarse[c * size + k] + coarse[d * size + k]);
      }
    }
  }
  return out;
}

/** Linear (midpoint) subdivision of a per-vertex attribute. */
export function midpointAttribute(step: SubdivisionStep, coarse: Float32Array, size: number): Float32Array {
  const n = step.coarseCount;
  const edgeCount = step.edgeEnds.length / 2;
  const out = new Float32Array((n + edgeCount) * size);
  out.set(coarse.subarray(0, n * size));
  for (let e = 0; e < edgeCount; e++) {
    const a = step.edgeEnds[2 * e] * size, b = step.edgeEnds[2 * e + 1] * size;
    for (let k = 0; k < size; k++) out[(n + e) * size + k] = 0.5 * (coarse[a + k] + coarse[b + k]);
  }
  return out;
}

export interface SubdividedMesh {
  positions: Float32Array;
  indices: Uint32Array;
  steps: SubdivisionStep[];
}

function applyLoop(steps: SubdivisionStep[], control: Float32Array): Float32Array {
  let p = control;
  for (const step of steps) p = loopPositions(step, p);
  return p;
}

/**
 * Loop-subdivides `levels` times with control points adjusted so that the coarse vertices land
 * exactly on their input positions (landmarks keep MediaPipe's canonical geometry): a few fixed-point
 * iterations c <- c + (target - S(c)) on the coarse vertices, which converges for the smooth part and
 * is stopped early so it does not sharpen noise.
 */
export function subdivideInterpolating(
  positions: Float32Array,
  indices: Uint32Array,
  levels: number,
  iterations = 12,
): SubdividedMesh {
  const steps: SubdivisionStep[] = [];
  let count = positions.length / 3;
  let idx = indices;
  for (let l = 0; l < levels; l++) {
    const step = subdivisionStep(count, idx);
    steps.push(step);
    count = step.coarseCount + step.edgeEnds.length / 2;
    idx = step.indices;
  }
  const coarseLength = positions.length;
  const control = Float32Array.from(positions);
  for (let it = 0; it < iterations; it++) {
    const fine = applyLoop(steps, control);
    for (let i = 0; i < coarseLength; i++) control[i] += positions[i] - fine[i];
  }
  const fine = applyLoop(steps, control);
  fine.set(positions);
  return { positions: fine, indices: idx, steps };
}

export function subdivideAttribute(steps: SubdivisionStep[], values: Float32Array, size: number): Float32Array {
  let v = values;
  for (const step of steps) v = midpointAttribute(step, v, size);
  return v;
}
