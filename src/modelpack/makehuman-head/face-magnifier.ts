/**
 * hm08's head island gives the face about an eighth of the texture (the cranium, ears and neck take
 * the rest of the island, the inner islands and empty space the rest of the map). This warps the
 * island's UVs so the face gets several times the density: a separable map u' = g(u), v' = h(v),
 * each axis smooth and strictly increasing, so no triangle folds and the island stays one piece.
 * The island keeps its height and grows rightwards into the width the inner islands leave free
 * (./uv-layout.ts); the face's texels stay square.
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
