/**
 * A shaved head's scalp is stubble over skin, not bare skin. The photo shows that stubble above the
 * hairline (hair segmentation: `shaved`), and under the same light its colour over the skin's is the
 * stubble's albedo over the skin's, per channel: the light divides out. The scalp the photo did not
 * see is the filled skin times that ratio, from a little above the brows' height up (the crown, the
 * temples and the sides above the ears), fading in where the photo's own texels fade out and
 * ramping in from the model's face skin outwards (offFaceSkin). The face skin stays out because the
 * buzz-cut call (liesFlat) sits near its limits on some photos and flips under a change of light:
 * prnet 2's second light made it shaved, and its unseen forehead (fringe, sunglasses) took the
 * stubble's dark brown (`photo-avatar eval-relight`: face RMS change 0.0872 → 0.0630; hrn 00034's
 * tint, which made it not shaved, 0.0245 → 0.0190; with the ramp, 0.0381 and 0.0129).
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';
import { getUvRaster, vertexScalarAtTexels, type UvRaster } from './unwrap.js';
import { boxBlur, pushPullFill } from './texture-filters.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';

/** Confidence (observed or mirrored) from which a texel is the photo's own, untouched. */
const SEEN = 0.5;
/** The stubble fades in between these heights above the brows, in brows-to-chin heights: the ears' tops stay skin. */
const FROM = 0.05, TO = 0.2;
/**
 * Behind the ears the hairline falls to the nape, at about the mouth's height at the back of the
 * head: a fade at the brows' height all round drew a straight cap line round the back of the head.
 */
const NAPE_LANDMARK = 57;

/**
 * Multiplies the unseen scalp of `texture` (size² linear RGB, interleaved) by `gain` (stubble over
 * skin, linear, per channel), in place.
 * @param confidence per covered texel of `raster`, observed or mirrored (the completion's), 0..1
 * @param vertices the fitted head (model space, xyz), whose heights place the brows and the scalp
 */
export function tintShavedScalp(texture: Float32Array, raster: UvRaster, confidence: Float32Array, model: HeadModel, vertices: Float32Array, gain: ArrayLike<number>): void {
  const scalp = scalpShare(raster, model, vertices);
  for (let i = 0; i < raster.texel.length; i++) {
    const share = Math.max(0, 1 - confidence[i] / SEEN) * scalp[i];
    if (!(share > 0)) continue;
    const p = raster.texel[i];
    for (let c = 0; c < 3; c++) texture[3 * p + c] *= 1 + share * (gain[c] - 1);
  }
  // The texels off the UV islands held the untinted skin, and bilinear taps across the scalp's UV
  // seam showed it as a light line down the crown: the islands are extended again, as the
  // completion extends them (push-pull from every covered texel).
  const covered = new Float32Array(raster.size * raster.size), mean = [0, 0, 0];
  for (let i = 0; i < raster.texel.length; i++) {
    const p = raster.texel[i];
    covered[p] = 1;
    for (let c = 0; c < 3; c++) mean[c] += texture[3 * p + c] / raster.texel.length;
  }
  pushPullFill(texture, covered, raster.size, mean, undefined, texture);
}

/**
 * Per covered texel of `raster`, how much of it is a shaved head's scalp (0..1), by its place on
 * the fitted head alone: from a little above the brows' height up, falling behind the ears to the
 * nape, ramping in from the model's face skin outwards.
 */
function scalpShare(raster: UvRaster, model: HeadModel, vertices: Float32Array): Float32Array {
  const vertexCount = vertices.length / 3;
  const heights = vertexScalarAtTexels(raster, model.indices, Float32Array.from({ length: vertexCount }, (_, v) => vertices[3 * v + 1]));
  const depths = vertexScalarAtTexels(raster, model.indices, Float32Array.from({ length: vertexCount }, (_, v) => vertices[3 * v + 2]));
  const landmark = (k: number, axis: number) => vertices[3 * model.landmarks68[k] + axis];
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += landmark(k, 1) / 10;
  const faceHeight = browY - landmark(8, 1);
  // From the jaw's top beside the ears (iBUG 0 and 16) back to the back of the head, the hairline
  // falls from the brows' height to the nape's.
  const earZ = (landmark(0, 2) + landmark(16, 2)) / 2;
  let backZ = Infinity;
  for (let v = 0; v < vertexCount; v++) backZ = Math.min(backZ, vertices[3 * v + 2]);
  const napeDrop = (browY - landmark(NAPE_LANDMARK, 1)) / faceHeight;
  const offFace = offFaceSkin(raster);
  // Written over the heights, read texel by texel before.
  const share = heights;
  for (let i = 0; i < raster.texel.length; i++) {
    const behindEar = Math.min(1, Math.max(0, (earZ - depths[i]) / (earZ - backZ)));
    const above = (heights[i] - browY) / faceHeight + napeDrop * behindEar * behindEar * (3 - 2 * behindEar);
    // The model's face skin (raster.skin) is skin, not scalp, at any height: an unseen forehead
    // (a fringe, sunglasses, deep shade) keeps the filled skin's colour.
    share[i] = Math.min(1, Math.max(0, (above - FROM) / (TO - FROM))) * offFace[raster.texel[i]];
  }
  return share;
}

/**
 * How far, up and down, each texel of a shaved scalp departs from the stubble's tone in the
 * textures made from the albedo: a grain of short hairs over skin, where one flat tone read as a
 * skullcap painted on (hrn 00034). Per texel (about 0.6 mm of scalp at 1024²), so the texture's
 * mip-maps, and a head seen from afar, keep the tone itself; the grain averages to 1.
 */
export const STUBBLE_GRAIN = 0.5;

const grained = new WeakMap<RgbaImage, RgbaImage>();

/**
 * The albedo as textures show it: for a shaved head (`hair.stubble`), a copy with the stubble's
 * grain over the scalp (scalpShare × STUBBLE_GRAIN × grainAt, in linear light); else the albedo
 * itself. The grain is not in `data.albedo`, which the albedo metrics read and a `.avatar` stores
 * (noise would take its JPEG past 100 KB): the GLB, the Babylon textures and the previews add it,
 * the same from a `.avatar` as from the photo. Cached per albedo image.
 */
export function albedoWithStubble(data: Pick<AvatarData, 'albedo' | 'model' | 'neutralVertices' | 'hair'>): RgbaImage {
  if (!data.hair?.stubble) return data.albedo;
  const known = grained.get(data.albedo);
  if (known) return known;
  const { albedo, model } = data;
  const raster = getUvRaster(model, albedo.width);
  const scalp = scalpShare(raster, model, data.neutralVertices);
  const out = { width: albedo.width, height: albedo.height, data: new Uint8ClampedArray(albedo.data) };
  for (let i = 0; i < raster.texel.length; i++) {
    if (!(scalp[i] > 0)) continue;
    const p = raster.texel[i], grain = 1 + scalp[i] * STUBBLE_GRAIN * grainAt(p);
    for (let c = 0; c < 3; c++) out.data[4 * p + c] = linearToSrgb8(SRGB_TO_LINEAR[albedo.data[4 * p + c]] * grain);
  }
  grained.set(albedo, out);
  return out;
}

/** A fixed pseudo-random value in [-1, 1) per texel index (an integer hash): the same grain on every avatar. */
function grainAt(texel: number): number {
  let h = Math.imul(texel ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2147483648 - 1;
}

/** Texels a side of the ramp from the model's face skin into the scalp, at 1024² (scaled with the texture). */
const FACE_EDGE_RAMP = 16;

const offFaceRamps = new PerModelCache<UvRaster, Float32Array>();

/**
 * Per texel of the texture, 0 on the model's face skin (any skin weight, which the relighting
 * figures' face region counts) rising to 1 a ramp's width out into the scalp: twice the face skin's
 * blurred indicator, off it. Scaled by (1 − skin weight) instead, the tint reached into the face
 * region's edge, which a relit copy that flips the buzz-cut call leaves untinted (hrn 00034's tint
 * and second light); cut at the edge, it drew the mesh's triangle steps across the temples. It
 * depends on the model's UV layout alone: made once per raster (4 MiB at 1024²), read-only.
 */
function offFaceSkin(raster: UvRaster): Float32Array {
  const S = raster.size, radius = Math.max(1, Math.round((FACE_EDGE_RAMP * S) / 1024));
  return offFaceRamps.get(raster, radius, () => {
    const face = new Float32Array(S * S);
    for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0) face[raster.texel[i]] = 1;
    const blurred = face.slice();
    boxBlur(blurred, S, 1, radius, 2);
    for (let p = 0; p < face.length; p++) face[p] = face[p] > 0 ? 0 : Math.min(1, Math.max(0, 1 - 2 * blurred[p]));
    return face;
  });
}
