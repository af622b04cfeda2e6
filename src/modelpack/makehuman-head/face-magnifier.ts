/**
 * hm08's head island gives the face about an eighth of the texture (the cranium, ears and neck take
 * the rest of the island, the inner islands and empty space the rest of the map). Two fold-free
 * warps of the island's UVs give the face most of the map:
 * - magnifyFaceUvs: a separable map u' = g(u), v' = h(v), each axis smooth and strictly increasing,
 *   so the face gets several times the density along v and its texels stay square;
 * - fillRows: every texture row widened to the free width (the island is not a rectangle: its rows
 *   end short of the right edge beside the chin and neck), the face taking what the rest leaves.
 */
import { ISLAND_MARGIN } from './uv-layout.js';

/** Face density over the far parts of the head along v (the island's full height). */
export const FACE_GAIN = 4;
/** Width of the smooth ramp from face density to the rest, as a share of the face's span. */
const RAMP_SHARE = 0.35;
const SAMPLES = 2048;

function smoothstep(x: number): number {
  const t = Math.min(1, Math.max(0, x));
  return t * t * (3 - 2 * t);
}

/**
 * A strictly increasing map of [lo, hi] onto [outLo, outHi] whose slope inside [a, b] is `gain`
 * times its slope far outside, with smooth ramps between (sampled cumulative density, linear in
 * between).
 */
export function magnifyingAxis(lo: number, hi: number, a: number, b: number, gain: number, outLo = lo, outHi = hi): (x: number) => number {
  const ramp = Math.max(1e-6, RAMP_SHARE * (b - a));
  const density = (x: number) => 1 + (gain - 1) * (x < a ? smoothstep(1 - (a - x) / ramp) : x > b ? smoothstep(1 - (x - b) / ramp) : 1);
  const step = (hi - lo) / SAMPLES;
  const cumulative = new Float64Array(SAMPLES + 1);
  for (let i = 0; i < SAMPLES; i++) cumulative[i + 1] = cumulative[i] + 0.5 * step * (density(lo + i * step) + density(lo + (i + 1) * step));
  const total = cumulative[SAMPLES];
  return (x: number) => {
    const s = Math.min(SAMPLES, Math.max(0, (x - lo) / step));
    const i = Math.min(SAMPLES - 1, Math.floor(s));
    const f = cumulative[i] + (s - i) * (cumulative[i + 1] - cumulative[i]);
    return outLo + (outHi - outLo) * (f / total);
  };
}

interface Box { u0: number; u1: number; v0: number; v1: number }

function emptyBox(): Box {
  return { u0: Infinity, u1: -Infinity, v0: Infinity, v1: -Infinity };
}

function grow(box: Box, u: number, v: number): void {
  box.u0 = Math.min(box.u0, u); box.u1 = Math.max(box.u1, u); box.v0 = Math.min(box.v0, v); box.v1 = Math.max(box.v1, v);
}

/**
 * Warps, in place, the UVs of the vertices with `island[v] === 0` (head and face) so the face (the
 * UV box of `faceVertices`) gets FACE_GAIN times the density of the far parts along v, and the
 * same face scale along u over the width up to the other islands.
 */
export function magnifyFaceUvs(uvs: Float32Array, island: Uint8Array, faceVertices: ArrayLike<number>, gain = FACE_GAIN): void {
  const head = emptyBox(), face = emptyBox();
  let otherU = 1;
  for (let v = 0; v < island.length; v++) {
    if (island[v] === 0) grow(head, uvs[2 * v], uvs[2 * v + 1]);
    else otherU = Math.min(otherU, uvs[2 * v]);
  }
  for (let i = 0; i < faceVertices.length; i++) {
    const v = faceVertices[i];
    if (island[v] === 0) grow(face, uvs[2 * v], uvs[2 * v + 1]);
  }
  if (!(face.u1 > face.u0 && face.v1 > face.v0)) return;
  const h = magnifyingAxis(head.v0, head.v1, face.v0, face.v1, gain);
  const faceScale = (h(face.v1) - h(face.v0)) / (face.v1 - face.v0);
  const uLimit = Math.max(head.u1, otherU - 2 * ISLAND_MARGIN);
  const uScale = (g: number) => {
    const map = magnifyingAxis(head.u0, head.u1, face.u0, face.u1, g, head.u0, uLimit);
    return (map(face.u1) - map(face.u0)) / (face.u1 - face.u0);
  };
  // The u gain that gives the face the v axis's scale (the scale grows with the gain); 1 when the
  // free width alone already gives it more.
  let low = 1, high = 64;
  if (uScale(low) < faceScale) {
    while (high - low > 1e-4) {
      const mid = 0.5 * (low + high);
      if (uScale(mid) < faceScale) low = mid; else high = mid;
    }
  }
  const g = magnifyingAxis(head.u0, head.u1, face.u0, face.u1, low, head.u0, uLimit);
  for (let v = 0; v < island.length; v++) {
    if (island[v] !== 0) continue;
    uvs[2 * v] = g(uvs[2 * v]);
    uvs[2 * v + 1] = h(uvs[2 * v + 1]);
  }
}


/** Row bins of the row fill (texture rows at 1024², twice over). */
const ROW_BINS = 512;

/** Running maximum over ±`radius` bins (clamped at the ends). */
function runningMax(values: Float64Array, radius: number): Float64Array {
  const n = values.length, out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let k = Math.max(0, i - radius); k <= Math.min(n - 1, i + radius); k++) m = Math.max(m, values[k]);
    out[i] = m;
  }
  return out;
}

/** Gaussian blur (σ in bins) of the finite entries, clamped at the ends; bins without a value stay NaN only if none is near. */
function blur(values: Float64Array, sigma: number): Float64Array {
  const n = values.length, out = new Float64Array(n), radius = Math.ceil(3 * sigma);
  for (let i = 0; i < n; i++) {
    let sum = 0, weight = 0;
    for (let k = Math.max(0, i - radius); k <= Math.min(n - 1, i + radius); k++) {
      if (!Number.isFinite(values[k])) continue;
      const w = Math.exp(-0.5 * ((k - i) / sigma) ** 2);
      sum += w * values[k];
      weight += w;
    }
    out[i] = weight > 0 ? sum / weight : NaN;
  }
  return out;
}

export interface RowFillOptions {
  /** Texel density along u kept for the cranium, ears and neck, relative to the input layout's. */
  outerDensity: number;
  /** Largest face density over the outer density along a row (caps the stretch of the face's thin top and bottom rows). */
  maxGain: number;
}

/**
 * Stretches every texture row of the head island (island 0) along u to the free width: from the
 * left margin to the right edge, or to the inner islands' column in the rows beside it. Along each
 * row the face (vertices flagged in `isFace`) takes the width the rest leaves: the rest keeps
 * `outerDensity` times its density, the face gets up to `maxGain` times that. Each row's map is
 * strictly increasing and v is kept, so the Jacobian (∂u'/∂u) stays positive and nothing folds;
 * the row profiles vary smoothly with v, so the texels shear only gently.
 */
export function fillRows(uvs: Float32Array, island: Uint8Array, isFace: ArrayLike<number>, options: RowFillOptions): void {
  const n = ROW_BINS;
  const head = emptyBox(), others = new Map<number, Box>();
  for (let v = 0; v < island.length; v++) {
    if (island[v] === 0) { grow(head, uvs[2 * v], uvs[2 * v + 1]); continue; }
    if (!others.has(island[v])) others.set(island[v], emptyBox());
    grow(others.get(island[v])!, uvs[2 * v], uvs[2 * v + 1]);
  }
  const binOf = (v: number) => Math.min(n - 1, Math.max(0, Math.floor(((v - head.v0) / (head.v1 - head.v0)) * n)));
  const left = new Float64Array(n).fill(Infinity), right = new Float64Array(n).fill(-Infinity);
  const faceLeft = new Float64Array(n).fill(NaN), faceRight = new Float64Array(n).fill(NaN);
  for (let v = 0; v < island.length; v++) {
    if (island[v] !== 0) continue;
    const b = binOf(uvs[2 * v + 1]), u = uvs[2 * v];
    left[b] = Math.min(left[b], u); right[b] = Math.max(right[b], u);
    if (isFace[v]) {
      faceLeft[b] = Number.isNaN(faceLeft[b]) ? u : Math.min(faceLeft[b], u);
      faceRight[b] = Number.isNaN(faceRight[b]) ? u : Math.max(faceRight[b], u);
    }
  }
  // The profiles are smoothed over 16 rows (3 % of the height; at 6 rows the cranium's long thin
  // triangles folded), the free width over 12 (at 8 a neck triangle beside an inner island folded;
  // wider costs the face the rows near the corners). The island's extent per row is first widened
  // over the blur's kernel (3σ) and a few rows more, so the smoothed extent still bounds every
  // vertex and edge of the rows it maps (a vertex outside it would land outside the margins).
  const SMOOTH = 16, LIMIT_SMOOTH = 12, NEAR_SMOOTH = 8;
  const reach = (extent: Float64Array) => {
    const smooth = blur(runningMax(extent, 6), SMOOTH), near = blur(runningMax(extent, 3 * NEAR_SMOOTH + 2), NEAR_SMOOTH);
    return smooth.map((x, i) => Math.max(x, near[i]));
  };
  const reachLeft = reach(left.map((x) => -x)).map((x) => -x);
  const reachRight = reach(right);
  const faceL = blur(faceLeft, SMOOTH), faceR = blur(faceRight, SMOOTH);
  // The free width per row: to the right margin, or to the inner islands beside it.
  const rightLimit = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const v = head.v0 + ((b + 0.5) / n) * (head.v1 - head.v0);
    rightLimit[b] = 1 - ISLAND_MARGIN;
    for (const box of others.values()) {
      if (v >= box.v0 - 3 * ISLAND_MARGIN && v <= box.v1 + 3 * ISLAND_MARGIN) rightLimit[b] = Math.min(rightLimit[b], box.u0 - 2 * ISLAND_MARGIN);
    }
  }
  // A running minimum as wide as the blur's kernel (3σ), so the eased limit never passes the true one.
  const limit = blur(runningMax(rightLimit.map((x) => -x), 3 * LIMIT_SMOOTH).map((x) => -x), LIMIT_SMOOTH);
  const rows: Array<(u: number) => number> = [];
  for (let b = 0; b < n; b++) {
    const hasFace = Number.isFinite(faceL[b]) && Number.isFinite(faceR[b]) && faceR[b] > faceL[b];
    rows.push(rowProfile(reachLeft[b], reachRight[b], hasFace ? Math.max(reachLeft[b], faceL[b]) : NaN, hasFace ? Math.min(reachRight[b], faceR[b]) : NaN,
      ISLAND_MARGIN, limit[b], options));
  }
  for (let v = 0; v < island.length; v++) {
    if (island[v] !== 0) continue;
    const position = ((uvs[2 * v + 1] - head.v0) / (head.v1 - head.v0)) * n - 0.5;
    const b0 = Math.min(n - 1, Math.max(0, Math.floor(position))), b1 = Math.min(n - 1, b0 + 1);
    const f = Math.min(1, Math.max(0, position - b0));
    uvs[2 * v] = (1 - f) * rows[b0](uvs[2 * v]) + f * rows[b1](uvs[2 * v]);
  }
}

/**
 * One row's map of [from, to] onto [outFrom, outTo]: density `gain` on the face span [a, b] (none
 * when NaN), 1 elsewhere, smooth ramps between, scaled to fill; the gain is the largest that keeps
 * the rest at `outerDensity` (at most `maxGain`, at least 1). Outside [from, to] it continues linearly.
 */
function rowProfile(from: number, to: number, a: number, b: number, outFrom: number, outTo: number, options: RowFillOptions): (u: number) => number {
  const steps = 512, step = (to - from) / steps;
  const hasFace = Number.isFinite(a) && Number.isFinite(b);
  const ramp = hasFace ? Math.max(1e-6, RAMP_SHARE * (b - a)) : 1;
  const density = (gain: number, u: number) => !hasFace ? 1
    : 1 + (gain - 1) * (u < a ? smoothstep(1 - (a - u) / ramp) : u > b ? smoothstep(1 - (u - b) / ramp) : 1);
  const integrate = (gain: number) => {
    const cumulative = new Float64Array(steps + 1);
    for (let i = 0; i < steps; i++) cumulative[i + 1] = cumulative[i] + 0.5 * step * (density(gain, from + i * step) + density(gain, from + (i + 1) * step));
    return cumulative;
  };
  const room = outTo - outFrom;
  let gain = 1;
  if (hasFace && room / integrate(1)[steps] > options.outerDensity) {
    let low = 1, high = options.maxGain;
    if (room / integrate(high)[steps] >= options.outerDensity) low = high;
    while (high - low > 1e-3) {
      const mid = 0.5 * (low + high);
      if (room / integrate(mid)[steps] >= options.outerDensity) low = mid; else high = mid;
    }
    gain = low;
  }
  const cumulative = integrate(gain), scale = room / cumulative[steps];
  return (u: number) => {
    if (u <= from) return outFrom + scale * (u - from) * density(gain, from);
    if (u >= to) return outTo + scale * (u - to) * density(gain, to);
    const s = (u - from) / step, i = Math.min(steps - 1, Math.floor(s));
    return outFrom + scale * (cumulative[i] + (s - i) * (cumulative[i + 1] - cumulative[i]));
  };
}
