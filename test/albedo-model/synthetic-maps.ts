import { seededRandom as rng } from '../helpers/random.js';
/** Deterministic synthetic UV maps: a low-rank albedo model (mean + a few smooth modes) plus noise. */

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
