/**
 * PCA expression bases (HiFi3D++ exp00..exp44) become morph targets directly, so their scale must
 * make influences usable: each mode is stored multiplied by EXPRESSION_TARGET_SCALE standard
 * deviations, and its prior std becomes 1 / EXPRESSION_TARGET_SCALE. A morph target influence of
 * +1 (or -1) is then a +3 sigma (-3 sigma) expression, sliders work in [-1, 1], and the fitting's
 * prior is unchanged (coefficient / std is the same number as before).
 */
export const EXPRESSION_TARGET_SCALE = 3;

/** Scales PCA expression modes in place (basis is mode-major) and returns the matching std. */
export function scalePcaExpressions(basis: Float32Array, modeStd: Float32Array): Float32Array {
  const modes = modeStd.length;
  const size = modes > 0 ? basis.length / modes : 0;
  const std = new Float32Array(modes);
  for (let k = 0; k < modes; k++) {
    const factor = EXPRESSION_TARGET_SCALE * modeStd[k];
    for (let i = k * size; i < (k + 1) * size; i++) basis[i] *= factor;
    std[k] = 1 / EXPRESSION_TARGET_SCALE;
  }
  return std;
}

/** exp00..exp44 (two digits at least, more when there are over 100 modes: exp000..exp202). */
export function pcaExpressionNames(count: number): string[] {
  const digits = Math.max(2, String(Math.max(0, count - 1)).length);
  return Array.from({ length: count }, (_, i) => `exp${String(i).padStart(digits, '0')}`);
}
