/** CIE L*a*b* (D65) from linear RGB, and the CIE76 colour difference. Browser-safe. */

const WHITE = [0.95047, 1, 1.08883];

function f(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
}

/** Linear sRGB (0..1) -> L*a*b*, written into `out`. */
export function linearToLab(r: number, g: number, b: number, out: Float64Array | number[] = new Float64Array(3)): Float64Array | number[] {
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / WHITE[0];
  const y = (0.2126729 * r + 0.7151522 * g + 0.072175 * b) / WHITE[1];
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / WHITE[2];
  const fx = f(x), fy = f(y), fz = f(z);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
  return out;
}

/** CIE76 ΔE between two linear RGB colours. */
export function deltaE76(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const la = linearToLab(a[0], a[1], a[2]), lb = linearToLab(b[0], b[1], b[2]);
  return Math.hypot(la[0] - lb[0], la[1] - lb[1], la[2] - lb[2]);
}
