/**
 * Photo -> model UV space. Each texel of the output texture is mapped to a point on the fitted
 * surface (UV rasterization, cached per model and size), projected into the photo, tested against
 * an image-space z-buffer and sampled. The per-texel weight says how much the sample can be
 * trusted: visible * max(0, cos(normal, view)) * skin mask, so grazing and hidden texels fade out.
 */
import { computeVertexNormals, type HeadModel } from '../modelpack/head-model.js';
import { createRasterTarget, edgeWeight, rasterizeTriangles, rasterizeUvTriangles, TRIANGLE_SETUP, triangleBox, triangleSetup, uvScreenPositions } from '../render/rasterize.js';
import { PhotoAvatarError } from '../errors.js';
import type { Mask, PinholeCamera, RgbaImage } from '../types.js';
import { SRGB_TO_LINEAR } from '../image/srgb.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { takeFloat32 } from '../math/scratch-arrays.js';

/**
 * Which surface point every texel shows; depends only on the model's UV layout and the size.
 * Covered texels are listed compactly so that per-photo loops never visit empty texels.
 */
export interface UvRaster {
  size: number;
  /** Texel index (row * size + column, top row first) of each covered texel. */
  texel: Int32Array;
  /** Triangle (index into model.indices / 3) of each covered texel. */
  triangle: Int32Array;
  /** Barycentric weights of corners 1 and 2 of each covered texel, interleaved. */
  bary: Float32Array;
  /** Per texel (size * size): position in the covered list, or -1 outside every UV island. */
  slot: Int32Array;
  /** Per covered texel: the model's face-skin weight (0..1) interpolated. */
  skin: Float32Array;
}

/** A per-vertex scalar interpolated at each covered texel of `raster` (in its texel order), into `out`. */
export function vertexScalarAtTexels(raster: UvRaster, indices: ArrayLike<number>, perVertex: ArrayLike<number>, out = new Float32Array(raster.texel.length)): Float32Array {
  for (let i = 0; i < raster.texel.length; i++) out[i] = vertexScalarAtTexel(raster, indices, perVertex, i);
  return out;
}

/**
 * vertexScalarAtTexels of each of `perVertex`'s scalars spread over the whole size² texture (0 off
 * the UV islands), written there straight away: no per-covered-texel array in between (3.3 MiB at
 * 1024² to fault in). Only the triangles with a corner other than +0 in some scalar are visited,
 * their texels found in the slot map within the rasterizer's box of the triangle (`uvs`: the
 * raster's layout): elsewhere the interpolation is +0, as the new array holds (products of +0 with
 * weights of which one is positive sum to +0). The eye surround's two scalars are +0 but round the
 * eyes: all 880 k covered texels visited twice took 19 ms of a cold start at 1024² (the 2-core VM).
 */
export function vertexScalarsOnTexture(raster: UvRaster, indices: ArrayLike<number>, uvs: Float32Array, perVertex: readonly ArrayLike<number>[]): Float32Array[] {
  const { size, slot, triangle } = raster;
  const out = perVertex.map(() => new Float32Array(size * size));
  const screen = uvScreenPositions(uvs, size), box = new Int32Array(4);
  for (let t = 0, end = indices.length / 3; t < end; t++) {
    if (allPositiveZeroAt(perVertex, indices[3 * t], indices[3 * t + 1], indices[3 * t + 2])) continue;
    triangleBox(screen, indices, t, size, size, box);
    const minX = box[0], maxX = box[1], minY = box[2], maxY = box[3];
    for (let y = minY; y <= maxY; y++) {
      for (let p = y * size + minX, last = y * size + maxX; p <= last; p++) {
        const i = slot[p];
        if (i < 0 || triangle[i] !== t) continue;
        for (let k = 0; k < out.length; k++) out[k][p] = vertexScalarAtTexel(raster, indices, perVertex[k], i);
      }
    }
  }
  return out;
}

/** Whether every one of the scalars is +0 at vertices a, b and c. */
function allPositiveZeroAt(perVertex: readonly ArrayLike<number>[], a: number, b: number, c: number): boolean {
  for (let k = 0; k < perVertex.length; k++) {
    const values = perVertex[k];
    if (!Object.is(values[a], 0) || !Object.is(values[b], 0) || !Object.is(values[c], 0)) return false;
  }
  return true;
}

/** The per-vertex scalar interpolated at covered texel i. */
function vertexScalarAtTexel(raster: UvRaster, indices: ArrayLike<number>, perVertex: ArrayLike<number>, i: number): number {
  const t = 3 * raster.triangle[i], b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1];
  return (1 - b1 - b2) * perVertex[indices[t]] + b1 * perVertex[indices[t + 1]] + b2 * perVertex[indices[t + 2]];
}

const uvRasters = new PerModelCache<HeadModel, UvRaster>();

/** Rasterizes the model in UV space at `size` x `size` (texel centres where GPU samplers read them: uvScreenPositions). */
export function getUvRaster(model: HeadModel, size: number): UvRaster {
  return uvRasters.get(model, size, () => rasterizeUvs(model, size));
}

function rasterizeUvs(model: HeadModel, size: number): UvRaster {
  const { uvs, indices, skinWeight } = model;
  const screen = uvScreenPositions(uvs, size);
  // The triangle plane becomes the slot map (-1 on the same empty texels), written over as it is read.
  const slot = new Int32Array(size * size);
  const count = rasterizeUvTriangles(size, size, screen, indices, slot);
  const raster: UvRaster = {
    size,
    texel: new Int32Array(count),
    triangle: new Int32Array(count),
    bary: new Float32Array(count * 2),
    slot,
    skin: new Float32Array(count),
  };
  listCoveredTexels(raster, screen, indices, skinWeight);
  return raster;
}

/**
 * Fills the raster's per-texel lists from its triangle plane (`raster.slot` on entry, the slot map
 * on return), texels in order: the barycentrics as the rasterizer finds them, its setup redone only
 * where the triangle changes from one texel to the next (a texel's row neighbour is mostly on its
 * triangle). A function of its own, typed arrays and numbers: the loop runs once per size.
 */
function listCoveredTexels(raster: UvRaster, screen: Float32Array, indices: Uint32Array, skinWeight: Float32Array): void {
  const { size, slot, texel, triangle, bary, skin } = raster;
  const setup = new Float64Array(TRIANGLE_SETUP);
  let i = 0, last = -1, s0 = 0, s1 = 0, s2 = 0;
  for (let y = 0, p = 0; y < size; y++) {
    for (let x = 0; x < size; x++, p++) {
      const t = slot[p];
      if (t < 0) continue;
      if (t !== last) {
        triangleSetup(screen, indices, t, setup);
        s0 = skinWeight[indices[3 * t]]; s1 = skinWeight[indices[3 * t + 1]]; s2 = skinWeight[indices[3 * t + 2]];
        last = t;
      }
      const rx = x - setup[0], ry = y - setup[1];
      bary[2 * i] = edgeWeight(rx, ry, setup[4], setup[5], setup[6]);
      bary[2 * i + 1] = edgeWeight(rx, ry, setup[2], setup[3], -setup[6]);
      const b1 = bary[2 * i], b2 = bary[2 * i + 1];
      texel[i] = p;
      triangle[i] = t;
      slot[p] = i;
      skin[i] = (1 - b1 - b2) * s0 + b1 * s1 + b2 * s2;
      i++;
    }
  }
}

export interface UnwrapInput {
  image: RgbaImage;
  model: HeadModel;
  /** Fitted vertices, model space, xyz interleaved (model.vertexCount * 3). */
  vertices: Float32Array;
  camera: PinholeCamera;
  /** Image-space skin mask (255 = skin; any size, stretched over the image): the light is estimated from it, or from every visible texel without it. */
  skinMask?: Mask;
  /**
   * Image-space mask of the head's own pixels (face region with brows, eyelids and lips; 255 =
   * inside). The texture is taken from here, the light only from skin. Defaults to skinMask.
   */
  faceMask?: Mask;
  /** Image-space mask of the brows (255 = brow): where the texture keeps the photo's own colour. */
  browMask?: Mask;
}

export interface UnwrapResult {
  raster: UvRaster;
  /** Photo colour per covered texel, linear RGB 0..1, interleaved (0 where not visible). */
  colour: Float32Array;
  /** Trust in each covered texel's colour, 0..1. */
  weight: Float32Array;
  /** Trust for skin-only estimates (the light): like weight, but with the skin mask. */
  skinWeight: Float32Array;
  /** Unit surface normal per covered texel, model space, interleaved. */
  normal: Float32Array;
  /** With a brow mask: its value (0..1) per covered texel the photo sees. */
  browWeight?: Float32Array;
}

/** Unwraps the photo into the model's UV layout at `size` x `size`. */
export function unwrapPhoto(input: UnwrapInput, size: number): UnwrapResult {
  const { image, model, vertices, camera, skinMask, browMask } = input;
  const textureMask = input.faceMask ?? skinMask;
  validateUnwrapInput(input);
  const raster = getUvRaster(model, size);
  const { indices } = model;
  const count = raster.texel.length;
  const vertexNormals = computeVertexNormals(vertices, indices, model.weldGroup);

  const zbuffer = renderDepth(image.width, image.height, vertices, indices, camera);
  const tolerance = 0.01 * boundingDiagonal(vertices);

  // Per-avatar planes from the reused scratch (../math/scratch-arrays.ts): the albedo stage gives them back.
  const colour = takeFloat32(count * 3);
  const weight = takeFloat32(count);
  const skinWeight = takeFloat32(count);
  const normal = takeFloat32(count * 3);
  const browWeight = browMask ? takeFloat32(count) : undefined;
  const planes = { colour, weight, skinWeight, normal, browWeight };
  // A sparse pass first (every PRIMING_STRIDE-th texel, written again below with the same values):
  // in a new process the full loop was compiled (on-stack replacement) before it had met a visible
  // texel, and deoptimized and recompiled twice when it did.
  unwrapTexels(raster, indices, vertices, vertexNormals, camera, zbuffer, tolerance, image, textureMask, skinMask, browMask, planes, PRIMING_STRIDE);
  unwrapTexels(raster, indices, vertices, vertexNormals, camera, zbuffer, tolerance, image, textureMask, skinMask, browMask, planes, 1);
  return { raster, colour, weight, skinWeight, normal, ...(browWeight ? { browWeight } : {}) };
}

/** Texels apart in unwrapPhoto's sparse first pass: about a thousand texels at 1024². */
const PRIMING_STRIDE = 997;

/** The unwrap's outputs per covered texel (UnwrapResult's planes), written by unwrapTexels. */
interface TexelPlanes { colour: Float32Array; weight: Float32Array; skinWeight: Float32Array; normal: Float32Array; browWeight: Float32Array | undefined }

/**
 * The unwrap's per-texel loop (see the module comment), in a function of its own: run once per
 * photo inside unwrapPhoto it started in the interpreter and waited for on-stack replacement,
 * and its optimized code was dropped again after the loop; here it stays optimized.
 */
function unwrapTexels(
  raster: UvRaster, indices: Uint32Array, vertices: Float32Array, vertexNormals: Float32Array, camera: PinholeCamera, zbuffer: DepthImage,
  tolerance: number, image: RgbaImage, textureMask: Mask | undefined, skinMask: Mask | undefined, browMask: Mask | undefined, out: TexelPlanes, stride: number,
): void {
  const { colour, weight, skinWeight, normal, browWeight } = out;
  const count = raster.texel.length;
  const R = camera.rotation, T = camera.translation, f = camera.focal, cx = camera.cx, cy = camera.cy;
  const W = image.width, H = image.height, pixels = image.data;
  const zw = zbuffer.width, zh = zbuffer.height, zx0 = zbuffer.x0, zy0 = zbuffer.y0, depth = zbuffer.depth;
  // Masks may have any size: they are stretched over the image.
  const skinScaleX = skinMask ? skinMask.width / W : 0, skinScaleY = skinMask ? skinMask.height / H : 0;
  const textureScaleX = textureMask ? textureMask.width / W : 0, textureScaleY = textureMask ? textureMask.height / H : 0;
  const browScaleX = browMask ? browMask.width / W : 0, browScaleY = browMask ? browMask.height / H : 0;

  for (let i = 0; i < count; i += stride) {
    const t = raster.triangle[i];
    const b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1], b0 = 1 - b1 - b2;
    const ia = indices[3 * t] * 3, ib = indices[3 * t + 1] * 3, ic = indices[3 * t + 2] * 3;
    const px = b0 * vertices[ia] + b1 * vertices[ib] + b2 * vertices[ic];
    const py = b0 * vertices[ia + 1] + b1 * vertices[ib + 1] + b2 * vertices[ic + 1];
    const pz = b0 * vertices[ia + 2] + b1 * vertices[ib + 2] + b2 * vertices[ic + 2];
    let nx = b0 * vertexNormals[ia] + b1 * vertexNormals[ib] + b2 * vertexNormals[ic];
    let ny = b0 * vertexNormals[ia + 1] + b1 * vertexNormals[ib + 1] + b2 * vertexNormals[ic + 1];
    let nz = b0 * vertexNormals[ia + 2] + b1 * vertexNormals[ib + 2] + b2 * vertexNormals[ic + 2];
    const nlen = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1;
    nx /= nlen; ny /= nlen; nz /= nlen;
    normal[3 * i] = nx; normal[3 * i + 1] = ny; normal[3 * i + 2] = nz;

    const X = R[0] * px + R[1] * py + R[2] * pz + T[0];
    const Y = R[3] * px + R[4] * py + R[5] * pz + T[1];
    const Z = R[6] * px + R[7] * py + R[8] * pz + T[2];
    const d = -Z;
    if (d <= 0) continue;
    // Cosine between the camera-space normal and the direction to the camera centre.
    const cnx = R[0] * nx + R[1] * ny + R[2] * nz;
    const cny = R[3] * nx + R[4] * ny + R[5] * nz;
    const cnz = R[6] * nx + R[7] * ny + R[8] * nz;
    const cosine = -(cnx * X + cny * Y + cnz * Z) / Math.sqrt(X * X + Y * Y + Z * Z);
    if (cosine <= 0) continue;
    const x = cx + (f * X) / d, y = cy - (f * Y) / d;
    if (!(x >= 0 && y >= 0 && x <= W - 1 && y <= H - 1)) continue;

    // Visible when no surface in the 2x2 depth neighbourhood is clearly nearer. The tolerance grows
    // with the pixel footprint (d / f) so sloped surfaces are not self-occluded at coarse resolution.
    const zxf = Math.floor(x) - zx0, zyf = Math.floor(y) - zy0;
    let nearest = Infinity;
    for (let oy = 0; oy <= 1; oy++) {
      const ry = zyf + oy;
      if (ry < 0 || ry >= zh) continue;
      for (let ox = 0; ox <= 1; ox++) {
        const rx = zxf + ox;
        if (rx < 0 || rx >= zw) continue;
        const z = depth[ry * zw + rx];
        if (z < nearest) nearest = z;
      }
    }
    if (d > nearest + tolerance + (2 * d) / f) continue;

    const mask = textureMask ? sampleMask(textureMask, (x + 0.5) * textureScaleX - 0.5, (y + 0.5) * textureScaleY - 0.5) : 1;
    const skin = skinMask ? sampleMask(skinMask, (x + 0.5) * skinScaleX - 0.5, (y + 0.5) * skinScaleY - 0.5) : 1;
    if (mask <= 0 && skin <= 0) continue;

    // Bilinear sample in linear light.
    const x0 = Math.min(Math.floor(x), W - 2 < 0 ? 0 : W - 2), y0 = Math.min(Math.floor(y), H - 2 < 0 ? 0 : H - 2);
    const fx = x - x0, fy = y - y0;
    const x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
    const p00 = (y0 * W + x0) * 4, p10 = (y0 * W + x1) * 4, p01 = (y1 * W + x0) * 4, p11 = (y1 * W + x1) * 4;
    const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
    for (let c = 0; c < 3; c++) {
      colour[3 * i + c] =
        w00 * SRGB_TO_LINEAR[pixels[p00 + c]] + w10 * SRGB_TO_LINEAR[pixels[p10 + c]] +
        w01 * SRGB_TO_LINEAR[pixels[p01 + c]] + w11 * SRGB_TO_LINEAR[pixels[p11 + c]];
    }
    weight[i] = cosine * mask;
    skinWeight[i] = cosine * skin;
    if (browMask && browWeight) browWeight[i] = sampleMask(browMask, (x + 0.5) * browScaleX - 0.5, (y + 0.5) * browScaleY - 0.5);
  }
}

interface DepthImage {
  /** The z-buffer covers image pixels [x0, x0 + width) x [y0, y0 + height) only (the head's bounding box). */
  x0: number;
  y0: number;
  width: number;
  height: number;
  depth: Float32Array;
}

/** Z-buffer (depth = -Z_cam) of the projected mesh, restricted to its bounding box in the image. */
function renderDepth(imageWidth: number, imageHeight: number, vertices: Float32Array, indices: Uint32Array, camera: PinholeCamera): DepthImage {
  const R = camera.rotation, T = camera.translation, f = camera.focal;
  const n = vertices.length / 3;
  const screen = new Float32Array(n * 3);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let v = 0; v < n; v++) {
    const px = vertices[3 * v], py = vertices[3 * v + 1], pz = vertices[3 * v + 2];
    const X = R[0] * px + R[1] * py + R[2] * pz + T[0];
    const Y = R[3] * px + R[4] * py + R[5] * pz + T[1];
    const d = -(R[6] * px + R[7] * py + R[8] * pz + T[2]);
    if (d <= 0) {
      // Behind the camera: a NaN corner makes the rasterizer skip the triangle.
      screen[3 * v] = NaN;
      continue;
    }
    const x = camera.cx + (f * X) / d, y = camera.cy - (f * Y) / d;
    screen[3 * v] = x; screen[3 * v + 1] = y; screen[3 * v + 2] = d;
    if (x < minX) minX = x; if (x > maxX) maxX = x;
    if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  const x0 = Math.max(0, Math.floor(minX)), y0 = Math.max(0, Math.floor(minY));
  const x1 = Math.min(imageWidth - 1, Math.ceil(maxX)), y1 = Math.min(imageHeight - 1, Math.ceil(maxY));
  const width = Math.max(1, x1 - x0 + 1), height = Math.max(1, y1 - y0 + 1);
  for (let v = 0; v < n; v++) {
    screen[3 * v] -= x0;
    screen[3 * v + 1] -= y0;
  }
  const target = createRasterTarget(width, height);
  // No culling: the z-buffer alone decides, so packs with inconsistent winding still work.
  rasterizeTriangles(target, screen, indices, { cull: 'none' });
  return { x0, y0, width, height, depth: target.depth };
}

/**
 * The mask's bilinear value (0..1) at (x, y), clamped to its edges; x and y are finite. Kept small
 * for unwrapTexels, which calls it three times a texel: written with comparisons instead of
 * Math.min / Math.max (the same values for finite coordinates) and with each row's start and
 * 1 − fx computed once, it is 287 bytes of bytecode, not 330, and V8 inlines all three calls
 * (920 bytes in all may be inlined into one function). The third, the brow mask's, was a call
 * that boxed its coordinates and its result for each of the 216,074 texels the sample photo shows:
 * unwrapTexels on captured warm inputs 83-114 -> 67-77 ms, medians of 16 (the loaded 2-core VM).
 */
function sampleMask(mask: Mask, x: number, y: number): number {
  const { width, height, data } = mask;
  const xc = x > 0 ? (x < width - 1 ? x : width - 1) : 0, yc = y > 0 ? (y < height - 1 ? y : height - 1) : 0;
  const xa = Math.floor(xc), ya = Math.floor(yc);
  const xb = xa + 1 < width - 1 ? xa + 1 : width - 1, top = ya * width, bottom = (ya + 1 < height - 1 ? ya + 1 : height - 1) * width;
  const fx = xc - xa, fy = yc - ya, gx = 1 - fx;
  return ((data[top + xa] * gx + data[top + xb] * fx) * (1 - fy) + (data[bottom + xa] * gx + data[bottom + xb] * fx) * fy) / 255;
}

function boundingDiagonal(vertices: Float32Array): number {
  let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
  for (let i = 0; i < vertices.length; i += 3) {
    const x = vertices[i], y = vertices[i + 1], z = vertices[i + 2];
    if (x < minX) minX = x; if (x > maxX) maxX = x;
    if (y < minY) minY = y; if (y > maxY) maxY = y;
    if (z < minZ) minZ = z; if (z > maxZ) maxZ = z;
  }
  return Math.hypot(maxX - minX, maxY - minY, maxZ - minZ);
}

function validateUnwrapInput({ image, model, vertices, camera, skinMask, faceMask }: UnwrapInput): void {
  if (!image || !(image.width > 0) || !(image.height > 0) || image.data.length < image.width * image.height * 4) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'The photo must be an RGBA image with width * height * 4 bytes.');
  }
  if (vertices.length !== model.vertexCount * 3) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Expected ${model.vertexCount * 3} vertex coordinates for model '${model.id}', got ${vertices.length}.`);
  }
  if (!(camera.focal > 0) || camera.rotation.length !== 9 || camera.translation.length !== 3) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'The camera needs a positive focal length, a 3x3 rotation and a 3-vector translation.');
  }
  for (const [mask, name] of [[skinMask, 'skin'], [faceMask, 'face']] as const) {
    if (mask && (!(mask.width > 0) || !(mask.height > 0) || mask.data.length < mask.width * mask.height)) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `The ${name} mask must hold width * height bytes.`);
    }
  }
}

/**
 * Spreads a per-covered-texel field (`channels` interleaved values per texel) onto the full
 * size x size texture, top row first, `empty` outside the UV islands: e.g. the normal map.
 */
export function expandToTexture(raster: UvRaster, values: Float32Array, channels: number, empty = 0): Float32Array {
  const out = new Float32Array(raster.size * raster.size * channels).fill(empty);
  for (let i = 0; i < raster.texel.length; i++) {
    const p = raster.texel[i] * channels;
    for (let c = 0; c < channels; c++) out[p + c] = values[i * channels + c];
  }
  return out;
}
