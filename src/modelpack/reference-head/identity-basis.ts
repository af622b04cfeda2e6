/**
 * Identity basis of the default head: linear, smooth, landmark-driven deformation modes.
 *
 * Raw modes are Gaussian displacement fields attached to MediaPipe landmark groups (chin, jaw,
 * cheekbones, nose, eyes, brows, mouth, lips, forehead, temples, back of the skull), each in a
 * symmetric and an antisymmetric version, plus low-order polynomial fields over the whole head; each
 * is scaled to its plausible one-sigma size in metres. Rigid motions are projected out (pose handles
 * them) and the prior they imply is diagonalised (PCA of the raw set, symmetric and antisymmetric
 * sets separately), giving orthogonal modes with their standard deviations. Modes are scaled to a
 * largest vertex displacement of 1 m per unit coefficient, so `identityStd` reads as the largest
 * displacement (m) of a one-sigma coefficient. Everything is smooth in space, so the cranium and
 * neck follow the face.
 */
import { addWeighted, dot, gaussianWeights, landmarkCentre, maxDisplacement, mirrorPoint, symmetricEigen, type Vec3 } from './fields.js';
import type { HeadSurface } from './head-surface.js';
import { DEFAULT_CRANIUM } from './cranium.js';
import { RIGHT_EYE_LOOP } from '../../inference/face/mediapipe-regions.js';

const MM = 0.001;

interface Handle {
  /** Landmark index or indices, or a model-space point. */
  centre: number | number[] | { point: Vec3 };
  sigma: Vec3;
  /** Direction on the subject's right side (-X); mirrored for the left. */
  direction: Vec3;
  /** One-sigma displacement at the handle centre (m). */
  size: number;
  /** Scale about the centre instead of translating (direction gives per-axis factors). */
  radial?: boolean;
}

const HANDLES: Handle[] = [
  { centre: 152, sigma: [0.025, 0.02, 0.025], direction: [0, -1, 0], size: 3 * MM },
  { centre: 152, sigma: [0.025, 0.02, 0.025], direction: [0, 0, 1], size: 3 * MM },
  { centre: 152, sigma: [0.02, 0.02, 0.025], direction: [-1, 0, 0], size: 1.5 * MM },
  { centre: [172, 136], sigma: [0.025, 0.025, 0.03], direction: [-1, 0, 0], size: 4 * MM },
  { centre: [172, 136], sigma: [0.025, 0.025, 0.03], direction: [0, -1, 0], size: 3 * MM },
  { centre: [117, 123], sigma: [0.02, 0.018, 0.02], direction: [-1, 0, 0], size: 3 * MM },
  { centre: [117, 123], sigma: [0.02, 0.018, 0.02], direction: [0, 0, 1], size: 2.5 * MM },
  { centre: [187, 207], sigma: [0.02, 0.02, 0.02], direction: [-1, 0, 0.5], size: 3 * MM },
  { centre: 4, sigma: [0.012, 0.012, 0.015], direction: [0, 0, 1], size: 3 * MM },
  { centre: 4, sigma: [0.012, 0.014, 0.015], direction: [0, -1, 0], size: 2.5 * MM },
  { centre: 4, sigma: [0.01, 0.02, 0.015], direction: [-1, 0, 0], size: 1.5 * MM },
  { centre: [64, 98], sigma: [0.008, 0.008, 0.01], direction: [-1, 0, 0], size: 2 * MM },
  { centre: 6, sigma: [0.01, 0.015, 0.012], direction: [0, 0, 1], size: 2 * MM },
  { centre: RIGHT_EYE_LOOP, sigma: [0.016, 0.012, 0.015], direction: [-1, 0, 0], size: 2.5 * MM },
  { centre: RIGHT_EYE_LOOP, sigma: [0.016, 0.012, 0.015], direction: [0, 1, 0], size: 2 * MM },
  { centre: RIGHT_EYE_LOOP, sigma: [0.014, 0.01, 0.015], direction: [0.08, 0.12, 0], size: 1, radial: true },
  { centre: [105, 66], sigma: [0.02, 0.01, 0.015], direction: [0, 1, 0], size: 3 * MM },
  { centre: [105, 66], sigma: [0.02, 0.012, 0.015], direction: [0, 0, 1], size: 2 * MM },
  { centre: 61, sigma: [0.012, 0.012, 0.015], direction: [-1, 0, 0], size: 3 * MM },
  { centre: 61, sigma: [0.012, 0.012, 0.015], direction: [0, 1, 0], size: 2 * MM },
  { centre: 0, sigma: [0.018, 0.006, 0.01], direction: [0, 1, 0.5], size: 1.5 * MM },
  { centre: 17, sigma: [0.018, 0.006, 0.01], direction: [0, -1, 0.5], size: 1.5 * MM },
  { centre: 151, sigma: [0.05, 0.03, 0.03], direction: [0, 0, 1], size: 4 * MM },
  { centre: 151, sigma: [0.05, 0.03, 0.03], direction: [0, 1, 0], size: 4 * MM },
  { centre: [54, 21], sigma: [0.025, 0.025, 0.03], direction: [-1, 0, 0], size: 3 * MM },
  { centre: { point: [0, 0.06, -0.13] }, sigma: [0.06, 0.05, 0.05], direction: [0, 0, -1], size: 6 * MM },
  { centre: { point: [0, 0.13, -0.03] }, sigma: [0.06, 0.04, 0.06], direction: [0, 1, 0], size: 6 * MM },
  { centre: { point: [-0.07, 0.04, -0.05] }, sigma: [0.04, 0.05, 0.06], direction: [-1, 0, 0], size: 4 * MM },
  { centre: { point: [0, -0.14, -0.03] }, sigma: [0.05, 0.04, 0.05], direction: [-1, 0, 0], size: 1, radial: true },
];

/** Relative one-sigma size of the polynomial (global shape) fields at 10 cm from the head centre. */
const POLYNOMIAL_SIZE = 1.5 * MM;
/** People are far more symmetric than they vary: asymmetric modes get this fraction of the size. */
const ASYMMETRY = 0.4;
const MAX_MODES = 80;
/** Modes whose one-sigma effect is below this (m) are noise-level and dropped. */
const MIN_STD = 0.0002;

function handleField(positions: Float32Array, h: Handle, side: 1 | -1): Float64Array {
  const out = new Float64Array(positions.length);
  const centre = handleCentre(positions, h);
  const mirrored = mirrorPoint(centre);
  const midline = Math.abs(centre[0]) < 0.004;
  const parts: [Vec3, Vec3, number][] = midline
    ? [[centre, h.direction, 1]]
    : [[centre, h.direction, 1], [mirrored, [-h.direction[0], h.direction[1], h.direction[2]], side]];
  for (const [c, d, sign] of parts) {
    const w = gaussianWeights(positions, c, h.sigma);
    if (h.radial) {
      for (let v = 0; v < w.length; v++) {
        for (let k = 0; k < 3; k++) out[3 * v + k] += sign * w[v] * (k === 0 ? h.direction[0] : k === 1 ? h.direction[1] : h.direction[2] || h.direction[0]) * (positions[3 * v + k] - c[k]);
      }
    } else {
      addWeighted(out, w, d, sign);
    }
  }
  const m = maxDisplacement(out);
  const size = h.radial ? 2 * MM : h.size;
  if (m > 0) for (let i = 0; i < out.length; i++) out[i] *= size / m;
  return out;
}

function handleCentre(positions: Float32Array, h: Handle): Vec3 {
  return typeof h.centre === 'object' && 'point' in h.centre ? h.centre.point : landmarkCentre(positions, h.centre);
}

function onMidline(positions: Float32Array, h: Handle): boolean {
  return Math.abs(handleCentre(positions, h)[0]) < 0.004;
}

function polynomialFields(positions: Float32Array): { symmetric: Float64Array[]; antisymmetric: Float64Array[] } {
  const C = DEFAULT_CRANIUM.centre;
  const n = positions.length / 3;
  const symmetric: Float64Array[] = [], antisymmetric: Float64Array[] = [];
  // Monomials in normalised coordinates, with their parity in x.
  const monomials: [(x: number, y: number, z: number) => number, boolean][] = [
    [(x) => x, true], [(_, y) => y, false], [(_, __, z) => z, false],
    [(x) => x * x, false], [(_, y) => y * y, false], [(_, __, z) => z * z, false],
    [(x, y) => x * y, true], [(_, y, z) => y * z, false], [(x, _, z) => x * z, true],
  ];
  for (let axis = 0; axis < 3; axis++) {
    for (const [f, odd] of monomials) {
      const field = new Float64Array(n * 3);
      for (let v = 0; v < n; v++) {
        const x = (positions[3 * v] - C[0]) / 0.1, y = (positions[3 * v + 1] - C[1]) / 0.1, z = (positions[3 * v + 2] - C[2]) / 0.1;
        field[3 * v + axis] = POLYNOMIAL_SIZE * f(x, y, z);
      }
      // x-displacement is symmetric when odd in x; y/z-displacements when even.
      ((axis === 0) === odd ? symmetric : antisymmetric).push(field);
    }
  }
  return { symmetric, antisymmetric };
}

function rigidFields(positions: Float32Array): Float64Array[] {
  const C = DEFAULT_CRANIUM.centre;
  const n = positions.length / 3;
  const fields: Float64Array[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const t = new Float64Array(n * 3);
    for (let v = 0; v < n; v++) t[3 * v + axis] = 1;
    fields.push(t);
  }
  for (let axis = 0; axis < 3; axis++) {
    const r = new Float64Array(n * 3);
    const w: Vec3 = [0, 0, 0];
    w[axis] = 1;
    for (let v = 0; v < n; v++) {
      const px = positions[3 * v] - C[0], py = positions[3 * v + 1] - C[1], pz = positions[3 * v + 2] - C[2];
      r[3 * v] = w[1] * pz - w[2] * py;
      r[3 * v + 1] = w[2] * px - w[0] * pz;
      r[3 * v + 2] = w[0] * py - w[1] * px;
    }
    fields.push(r);
  }
  return orthonormalise(fields);
}

function orthonormalise(fields: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const f of fields) {
    const g = Float64Array.from(f);
    for (const o of out) {
      const c = dot(g, o);
      for (let i = 0; i < g.length; i++) g[i] -= c * o[i];
    }
    const norm = Math.sqrt(dot(g, g));
    if (norm < 1e-12) continue;
    for (let i = 0; i < g.length; i++) g[i] /= norm;
    out.push(g);
  }
  return out;
}

/** PCA of the prior implied by independent raw modes: orthonormal modes and their standard deviations. */
function principalModes(raw: Float64Array[]): { modes: Float64Array[]; std: number[] } {
  const m = raw.length;
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) gram[i * m + j] = gram[j * m + i] = dot(raw[i], raw[j]);
  const { values, vectors } = symmetricEigen(gram, m);
  const modes: Float64Array[] = [];
  const std: number[] = [];
  for (let k = 0; k < m; k++) {
    if (values[k] <= values[0] * 1e-5) break;
    const s = Math.sqrt(values[k]);
    const mode = new Float64Array(raw[0].length);
    for (let i = 0; i < m; i++) {
      const c = vectors[i * m + k] / s;
      if (c === 0) continue;
      const r = raw[i];
      for (let j = 0; j < mode.length; j++) mode[j] += c * r[j];
    }
    modes.push(mode);
    std.push(s);
  }
  return { modes, std };
}

export function buildIdentityBasis(surface: HeadSurface): { basis: Float32Array; std: Float32Array } {
  const P = surface.positions;
  const symmetric: Float64Array[] = [], antisymmetric: Float64Array[] = [];
  for (const h of HANDLES) {
    if (onMidline(P, h)) {
      // A midline handle moving sideways is antisymmetric (e.g. a crooked nose); otherwise symmetric.
      (h.direction[0] !== 0 && !h.radial ? antisymmetric : symmetric).push(handleField(P, h, 1));
      continue;
    }
    symmetric.push(handleField(P, h, 1));
    antisymmetric.push(handleField(P, h, -1));
  }
  const poly = polynomialFields(P);
  symmetric.push(...poly.symmetric);
  antisymmetric.push(...poly.antisymmetric);

  const rigid = rigidFields(P);
  const removeRigid = (f: Float64Array) => {
    for (const r of rigid) {
      const c = dot(f, r);
      for (let i = 0; i < f.length; i++) f[i] -= c * r[i];
    }
  };
  symmetric.forEach(removeRigid);
  antisymmetric.forEach(removeRigid);
  for (const f of antisymmetric) for (let i = 0; i < f.length; i++) f[i] *= ASYMMETRY;

  const sym = principalModes(symmetric);
  const anti = principalModes(antisymmetric);
  const all = [...sym.modes.map((m, i) => ({ m, s: sym.std[i] })), ...anti.modes.map((m, i) => ({ m, s: anti.std[i] }))]
    .sort((a, b) => b.s - a.s)
    .slice(0, MAX_MODES);
  // Each set is orthonormal; across sets they are orthogonal because the mesh is mirror symmetric
  // (the test measures the residual).
  const kept = all.filter((a) => a.s * maxDisplacement(a.m) >= MIN_STD);
  const ortho = kept.map((a) => a.m);
  const n3 = P.length;
  const basis = new Float32Array(ortho.length * n3);
  const std = new Float32Array(ortho.length);
  ortho.forEach((mode, k) => {
    const peak = maxDisplacement(mode);
    for (let i = 0; i < n3; i++) basis[k * n3 + i] = mode[i] / peak;
    std[k] = kept[k].s * peak;
  });
  return { basis, std };
}
