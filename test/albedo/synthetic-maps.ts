/** Deterministic synthetic UV maps: a low-rank albedo model (mean + a few smooth modes) plus noise. */
import { seededRandom as rng } from '../helpers/random.js';
import type { UvapmObservation } from '../../src/albedo/fit-albedo.js';
import { srgbDecode } from '../../src/image/srgb.js';
import { shShadingBasis } from '../../src/albedo/sh-light.js';

export { seededRandom as rng } from '../helpers/random.js';

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface SyntheticGenerator {
  size: number;
  rank: number;
  /** Planar r, g, b map number `index` (same index, same map). */
  map(index: number, out?: Float32Array): Float32Array;
}

export function syntheticGenerator(size: number, rank: number, noise = 0.002, seed = 7): SyntheticGenerator {
  const D = size * size;
  const random = rng(seed);
  const modes = Array.from({ length: rank }, (_, k) => {
    const fx = 1 + (k % 4), fy = 1 + Math.floor(k / 4), phase = random() * 6.28;
    const mode = new Float32Array(3 * D);
    for (let c = 0; c < 3; c++) {
      const tint = 0.5 + random();
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        mode[c * D + y * size + x] = tint * Math.sin((fx * Math.PI * x) / size + phase) * Math.cos((fy * Math.PI * y) / size + c);
      }
    }
    return { mode, std: 0.08 / (1 + k) };
  });
  return {
    size,
    rank,
    map(index, out = new Float32Array(3 * D)) {
      const r = rng(1000 + index);
      for (let c = 0; c < 3; c++) out.fill(0.35 + 0.15 * c, c * D, (c + 1) * D);
      for (const { mode, std } of modes) {
        const a = std * gaussian(r);
        for (let i = 0; i < out.length; i++) out[i] += a * mode[i];
      }
      for (let i = 0; i < out.length; i++) out[i] += noise * gaussian(r);
      return out;
    },
  };
}

/**
 * Two views of a synthetic albedo (planar sRGB, d²) on a bulging UV-space surface, each lit by its
 * own SH light, plus Gaussian noise; `reference` holds perturbed lights for the light prior.
 */
export function observeSyntheticViews(albedo: Float32Array, d: number, seed: number, noise = 0.004): { observations: UvapmObservation[]; reference: Float32Array[] } {
  const D = d * d, random = rng(seed), h = new Float64Array(9);
  const observations: UvapmObservation[] = [], reference: Float32Array[] = [];
  for (let v = 0; v < 2; v++) {
    const light = new Float32Array(27);
    for (let c = 0; c < 3; c++) {
      light[c * 9] = 0.9 - 0.05 * c;
      for (let j = 1; j < 9; j++) light[c * 9 + j] = 0.15 * (random() - 0.5) + (j === 1 ? 0.2 * (v ? 1 : -1) : 0);
    }
    const colour = new Float32Array(3 * D), normal = new Float32Array(3 * D), weight = new Float32Array(D);
    const yaw = (v ? 1 : -1) * 0.4;
    for (let t = 0; t < D; t++) {
      const x = ((t % d) + 0.5) / d - 0.5, y = 0.5 - (Math.floor(t / d) + 0.5) / d;
      const z = Math.sqrt(Math.max(0.1, 1 - 2 * (x * x + y * y)));
      const n = Math.hypot(x, y, z);
      normal[3 * t] = x / n; normal[3 * t + 1] = y / n; normal[3 * t + 2] = z / n;
      // The view's camera axis is yawed: texels turned away from it are unseen.
      weight[t] = Math.max(0, (Math.sin(yaw) * x + Math.cos(yaw) * z) / n - 0.3);
      shShadingBasis(normal[3 * t], normal[3 * t + 1], normal[3 * t + 2], h);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let j = 0; j < 9; j++) s += light[c * 9 + j] * h[j];
        colour[3 * t + c] = srgbDecode(albedo[c * D + t]) * s + noise * gaussian(random);
      }
    }
    observations.push({ colour, normal, weight });
    reference.push(light.map((g, i) => g * (1 + 0.2 * Math.sin(i))));
  }
  return { observations, reference };
}
