/**
 * Procedural eyeball texture (sclera, limbus, iris fibres, pupil) and the UV projection it is
 * painted for. Model packs do not agree on eyeball UV layouts, so the exporters and the renderers
 * derive eye UVs from the geometry instead: a planar projection along the eye's gaze (+Z in model
 * space) around the eye's pivot, u = 0.5 + dx / 2R, v = 0.5 + dy / 2R with R a human eyeball's
 * radius (12 mm). A human iris (~11.7 mm) on a ~24 mm eyeball then covers a disc of radius ~0.245
 * around the centre. R is anatomical, not the eye mesh's extent: MakeHuman's eye part reaches 17.9 mm
 * from its pivot, which drew a 17.6 mm iris, clipped by both lids, that the Iris model read ~0.8x.
 *
 * The sclera is an off-white, not paper white, and the texture carries the socket's and the lids'
 * occlusion (as film and game eye shaders do with a blend map or an occlusion overlay): renderers
 * without ambient occlusion (Babylon by default, the glTF viewers) light an eyeball in its socket as
 * if it stood in the open, and a sclera of albedo 0.84 then read as white stickers on the face, one
 * of 0.65 as staring eyes. The GLB, Babylon and the software renderers all use this texture, so
 * they shade the eyes alike (bench/eye-look.ts measures them against the photos).
 */
import type { RgbaImage } from '../types.js';
import { linearToSrgb8, srgbToLinear } from '../image/srgb.js';
import { hypot2 } from '../math/hypot.js';

/** Iris radius in texture units (fraction of the texture width) under the planar eye projection. */
export const IRIS_RADIUS_UV = 0.245;
/** Pupil radius in texture units (about 3.5 mm pupil diameter). */
export const PUPIL_RADIUS_UV = 0.075;
/** Radius of the eyeball the texture is painted for, metres (a human eye is about 24 mm across). */
export const EYEBALL_RADIUS = 0.012;
/** Radius of the painted iris around the eye's axis, metres (the planar projection's scale). */
export const IRIS_RADIUS = IRIS_RADIUS_UV * 2 * EYEBALL_RADIUS;

export interface EyeTextureOptions {
  /** Texture width and height in pixels (default 256). */
  size?: number;
  /** Mid iris colour, sRGB 0..255 (default a medium brown). */
  irisColor?: [number, number, number];
  /** Seed of the fibre pattern, so two eyes can differ slightly. */
  seed?: number;
}

/** Small deterministic hash -> 0..1, so textures are reproducible byte for byte. */
function hash01(n: number): number {
  let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

/** Smooth periodic 1-D value noise over the angle (period `cells`). */
function angularNoise(angle01: number, cells: number, seed: number): number {
  const x = angle01 * cells;
  const i = Math.floor(x);
  const f = x - i;
  const a = hash01(((i % cells) + cells) % cells + seed * 7919);
  const b = hash01((((i + 1) % cells) + cells) % cells + seed * 7919);
  const s = f * f * (3 - 2 * f);
  return a + (b - a) * s;
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/**
 * The sclera's share of the light an eyeball in the open would get: the socket, brow ridge and lids
 * hide much of the sky from it. Measured on the shared photos against the avatar rendered in each
 * photo's frame and light (bench/eye-look.ts): the open sclera's luminance over the cheek's was a
 * median 0.68 in the photos and 1.86 on the avatar with the sclera lit as if in the open.
 */
const SCLERA_SOCKET_OCCLUSION = 0.42;
/**
 * Height of the upper lid's margin over the eye's axis in texture units: the default head's lid
 * points (MediaPipe 159 / 386) sit 2.9 mm above its eye pivots (0.122 x 24 mm), not at the iris's
 * top (5.9 mm), so a shadow painted from the iris's top up fell mostly under the lid.
 */
const UPPER_LID_MARGIN_DV = 0.12;
/** How far below the margin the lid's and lashes' shadow reaches, in texture units (2.4 mm). */
const UPPER_LID_SHADOW_DV = 0.16;
/**
 * How much the upper lid (and its lashes) darkens the eyeball at its margin and above: in the
 * photos the sclera above the iris's centre is a median 0.58x as bright as below it (0.58 is low:
 * the upper lashes fall inside the MediaPipe eye loop), on the avatar it was 1.04x.
 */
const UPPER_LID_OCCLUSION = 0.55;
/** How much the socket darkens the eyeball towards the eye's corners (the projection's rim). */
const CORNER_OCCLUSION = 0.2;

/**
 * The lids' ambient occlusion on the eyeball at texture offset (du, dv) from the gaze axis (dv up),
 * as a factor on the albedo: the upper lid and its lashes shade the band just under its margin
 * (UPPER_LID_MARGIN_DV), the corners sit deep in the socket. Painted for the eye at rest: the
 * eye's turns carry it along, a few millimetres at most.
 */
export function lidOcclusion(du: number, dv: number): number {
  const upper = smoothstep(UPPER_LID_MARGIN_DV - UPPER_LID_SHADOW_DV, UPPER_LID_MARGIN_DV, dv);
  const corner = smoothstep(0.3, 0.5, Math.abs(du));
  return (1 - UPPER_LID_OCCLUSION * upper) * (1 - CORNER_OCCLUSION * corner);
}

/** The socket's occlusion at distance r from the eye's axis (texture units): the sclera's, none on the iris. */
export function socketOcclusion(r: number): number {
  const sclera = smoothstep(IRIS_RADIUS_UV - 0.006, IRIS_RADIUS_UV + 0.006, r);
  return 1 - (1 - SCLERA_SOCKET_OCCLUSION) * sclera;
}

/** Generates the eyeball colour texture (opaque RGBA, top row first, iris centred). */
export function createEyeTexture(options: EyeTextureOptions = {}): RgbaImage {
  const size = Math.max(16, Math.round(options.size ?? 256));
  const iris = options.irisColor ?? [112, 78, 50];
  const pattern = eyePattern(size, options.seed ?? 1);
  const data = Uint8ClampedArray.from(pattern.sclera);
  const { irisTexels, factors } = pattern;
  for (let k = 0; k < irisTexels.length; k++) {
    const f = EYE_FACTORS * k;
    const shade = factors[f + 3], pupil = factors[f + 4], irisMix = factors[f + 5], occlusion = factors[f + 6];
    const ir = iris[0] * shade, ig = iris[1] * shade, ib = iris[2] * shade;
    const pr = ir * (1 - pupil) + 8 * pupil;
    const pg = ig * (1 - pupil) + 7 * pupil;
    const pb = ib * (1 - pupil) + 7 * pupil;
    const cr = factors[f] * (1 - irisMix) + pr * irisMix;
    const cg = factors[f + 1] * (1 - irisMix) + pg * irisMix;
    const cb = factors[f + 2] * (1 - irisMix) + pb * irisMix;
    // The occlusion scales light, so it applies to linear values.
    const o = 4 * irisTexels[k];
    data[o] = linearToSrgb8(srgbToLinear(cr / 255) * occlusion);
    data[o + 1] = linearToSrgb8(srgbToLinear(cg / 255) * occlusion);
    data[o + 2] = linearToSrgb8(srgbToLinear(cb / 255) * occlusion);
  }
  return { width: size, height: size, data };
}

/**
 * What the eye texture owes to its size and seed alone: the finished texels outside the iris, and
 * per texel the iris could reach its sclera colour, fibre shade, pupil and iris shares and
 * occlusion (EYE_FACTORS values), so an avatar's texture only mixes in its iris colour. Every
 * compact GLB and preview makes one.
 */
interface EyePattern {
  sclera: Uint8ClampedArray;
  irisTexels: Int32Array;
  factors: Float64Array;
}

const EYE_FACTORS = 7;
/** Eye patterns by size and seed; a caller asks for one or two. */
const eyePatterns = new Map<string, EyePattern>();
const MAX_EYE_PATTERNS = 4;

function eyePattern(size: number, seed: number): EyePattern {
  const key = `${size}:${seed}`;
  let pattern = eyePatterns.get(key);
  if (!pattern) {
    if (eyePatterns.size >= MAX_EYE_PATTERNS) eyePatterns.delete(eyePatterns.keys().next().value!);
    eyePatterns.set(key, (pattern = makeEyePattern(size, seed)));
  }
  return pattern;
}

function makeEyePattern(size: number, seed: number): EyePattern {
  const data = new Uint8ClampedArray(size * size * 4);
  const irisTexels: number[] = [], factors: number[] = [];
  // Warmer than it was (218, 210, 200: linear red/blue 1.21, 1.5 now): the photos' sclera is a
  // median 2.2 red over blue, the avatar's rendered in the same light was 1.14 (bench/eye-look.ts);
  // half the way, since the photo's eye loop takes in pink lid margin and caruncle.
  const sclera = [226, 206, 188];
  const scleraRim = [200, 172, 164];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const du = (x + 0.5) / size - 0.5;
      const dv = 0.5 - (y + 0.5) / size;
      const r = hypot2(du, dv);
      const angle01 = (Math.atan2(dv, du) / (2 * Math.PI) + 1) % 1;
      // Sclera: warm white, pinker towards the eye corners (the projection's rim).
      const rim = smoothstep(0.3, 0.5, r);
      const cr = sclera[0] + (scleraRim[0] - sclera[0]) * rim;
      const cg = sclera[1] + (scleraRim[1] - sclera[1]) * rim;
      const cb = sclera[2] + (scleraRim[2] - sclera[2]) * rim;
      const occlusion = lidOcclusion(du, dv) * socketOcclusion(r);
      const o = (y * size + x) * 4;
      data[o + 3] = 255;
      if (r < IRIS_RADIUS_UV + 0.01) {
        const t = r / IRIS_RADIUS_UV; // 0 at the centre, 1 at the limbus
        // Radial fibres at two frequencies, brighter collarette ring around the pupil, dark limbal ring.
        const fibres = 0.55 * angularNoise(angle01, 90, seed) + 0.45 * angularNoise(angle01 + 0.37 * t, 31, seed + 3);
        const collarette = Math.exp(-(((t - 0.45) / 0.1) ** 2));
        let shade = 0.75 + 0.45 * (fibres - 0.5) + 0.3 * collarette;
        shade *= 1 - 0.55 * smoothstep(0.78, 1.0, t);
        // Pupil with a soft edge; limbus blends into the sclera over about one texel.
        const pupil = 1 - smoothstep(PUPIL_RADIUS_UV - 0.006, PUPIL_RADIUS_UV + 0.006, r);
        const irisMix = 1 - smoothstep(IRIS_RADIUS_UV - 0.006, IRIS_RADIUS_UV + 0.006, r);
        irisTexels.push(y * size + x);
        factors.push(cr, cg, cb, shade, pupil, irisMix, occlusion);
        continue;
      }
      data[o] = linearToSrgb8(srgbToLinear(cr / 255) * occlusion);
      data[o + 1] = linearToSrgb8(srgbToLinear(cg / 255) * occlusion);
      data[o + 2] = linearToSrgb8(srgbToLinear(cb / 255) * occlusion);
    }
  }
  return { sclera: data, irisTexels: Int32Array.from(irisTexels), factors: Float64Array.from(factors) };
}

/**
 * UVs (v up) of an eyeball for createEyeTexture: planar projection along +Z around `centre`, at the
 * scale of a human eyeball. Vertices further out than its radius (a mesh's rim) take the texture's
 * edge, the sclera.
 */
export function eyeProjectionUvs(positions: Float32Array, centre: ArrayLike<number>, out?: Float32Array): Float32Array {
  const n = positions.length / 3;
  const uvs = out ?? new Float32Array(n * 2);
  const scale = 0.5 / EYEBALL_RADIUS;
  for (let i = 0; i < n; i++) {
    uvs[2 * i] = Math.min(1, Math.max(0, 0.5 + (positions[3 * i] - centre[0]) * scale));
    uvs[2 * i + 1] = Math.min(1, Math.max(0, 0.5 + (positions[3 * i + 1] - centre[1]) * scale));
  }
  return uvs;
}
