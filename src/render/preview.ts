/**
 * Software preview of an avatar (the CLI's --preview): the textured, lit head with its eyes, front
 * view and three-quarter view side by side on a neutral grey background. Runs anywhere (no GPU,
 * no Babylon) on top of the z-buffer rasterizer in ./rasterize.ts.
 *
 * Shading is deliberately simple and done in linear light: albedo sampled bilinearly with
 * perspective-correct UVs, wrapped Lambert from a key and a fill light plus ambient, and a small
 * specular highlight on the eyes. 2x2 supersampling smooths the silhouette.
 */
import { bilinearChannel, bilinearTaps } from './texel-sampling.js';
import { albedoWithStubble } from '../albedo/scalp-tint.js';
import { PhotoAvatarError } from '../errors.js';
import { expressedVertices, positionBounds } from '../export/avatar-rig.js';
import { headVertexColours } from '../export/head-colours.js';
import { createEyeTexture, eyeProjectionUvs } from '../materials/eye-texture.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';
import { computeVertexNormals, partPositionsForExpression, partsFollowingShape } from '../modelpack/head-model.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { faceCardTexture, isFaceCard } from '../hair/face-cards.js';
import { createRasterTarget, rasterizeTriangles, surfaceAt, type RasterTarget, type SurfaceSample } from './rasterize.js';

export interface PreviewOptions {
  /** Width of the whole image (two views side by side), default 1024. */
  width?: number;
  /** Height, default 512. */
  height?: number;
  /** Yaw of the second view in degrees (default 35; positive shows the subject's left cheek). */
  threeQuarterYawDeg?: number;
  /** Elevation of the camera over both views in degrees (default 0; 90 looks straight down on the crown). */
  elevationDeg?: number;
  /** Expression weights to render (default: the fitted expression). */
  expression?: ArrayLike<number>;
  /** Darken the mouth pocket like an oral cavity, as the Babylon avatar and the GLB do (default true). */
  mouthInterior?: boolean;
  /** Background colour, sRGB 0..255 (default neutral grey). */
  background?: [number, number, number];
}

export const SUPERSAMPLING = 2;
export const MATERIAL_SKIN = 0;
export const MATERIAL_EYE = 1;
export const MATERIAL_PLAIN = 2;
export const MATERIAL_HAIR = 3;
/** Camera distance in head heights: a mild portrait perspective. */
const CAMERA_DISTANCE_HEADS = 3.2;

/** All visible geometry merged into one triangle list, with a material per triangle (also used by src/metrics/rerender.ts). */
export interface PreviewScene {
  positions: Float32Array;
  normals: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  triangleMaterial: Uint8Array;
  centre: [number, number, number];
  /** Half extents for framing: vertical, and horizontal radius around the vertical axis. */
  halfHeight: number;
  radius: number;
  /** Linear RGB albedo multipliers of the head's vertices (the dark mouth pocket and, with the hair drawn, its shadow: ../export/head-colours.ts). */
  vertexTint?: Float32Array;
  /** Strand cards (hair, lashes, brows): each set's tinted texture (alpha-tested) from vertex `firstVertex` on, and the hair's root-tone vertex colours. */
  cards: CardSet[];
  /** Linear RGB albedo of every vertex of the untextured parts (teeth, tongue): their baked SubMesh.vertexColours, else PLAIN_COLOUR. */
  plainColours: Float32Array;
}

/**
 * `alpha`: how the alpha test reads the set's texture. The hair, which Babylon alpha-tests, bilinearly
 * (textureAlpha); lashes and brows, which Babylon blends without a test, from the nearest texel
 * (nearestTexelAlpha): their strands are a texel wide, and tested on the bilinear alpha they broke
 * into dots, where the nearest texel keeps them whole lines as the blend shows them.
 */
export interface CardSet { texture: RgbaImage; firstVertex: number; vertexCount: number; vertexColours?: Float32Array; alpha: (image: RgbaImage, u: number, v: number) => number }

/** `hair`: include the strand cards, hair, lashes and brows (the preview does; the fit metrics' re-renders compare the face, so they leave them out). */
export function buildPreviewScene(data: AvatarData, expression: ArrayLike<number>, options: { hair?: boolean } = {}): PreviewScene {
  const { model } = data;
  const headPositions = expressedVertices(data, expression);
  const headNormals = computeVertexNormals(headPositions, model.indices, model.weldGroup);
  const hairMesh = options.hair ? data.hair?.mesh : undefined;
  const parts = [...partsFollowingShape(model, data.neutralVertices).filter((part) => options.hair || !isFaceCard(part)), ...(hairMesh ? [hairMesh.part] : [])];
  const cards: CardSet[] = [];
  let vertexCount = model.vertexCount;
  let indexCount = model.indices.length;
  for (const part of parts) {
    vertexCount += part.positions.length / 3;
    indexCount += part.indices.length;
  }
  const positions = new Float32Array(vertexCount * 3);
  const normals = new Float32Array(vertexCount * 3);
  const uvs = new Float32Array(vertexCount * 2);
  const indices = new Uint32Array(indexCount);
  const triangleMaterial = new Uint8Array(indexCount / 3);
  const plainColours = new Float32Array(vertexCount * 3);
  positions.set(headPositions);
  normals.set(headNormals);
  uvs.set(model.uvs);
  indices.set(model.indices);
  let vertexOffset = model.vertexCount;
  let indexOffset = model.indices.length;
  for (const part of parts) {
    const partVertices = part.positions.length / 3;
    const posed = partPositionsForExpression(part, model.expressionNames, expression);
    positions.set(posed, vertexOffset * 3);
    normals.set(part.material === 'hair' && hairMesh ? hairMesh.normals : computeVertexNormals(posed, part.indices), vertexOffset * 3);
    const partUvs = part.material === 'eye'
      ? eyeProjectionUvs(part.positions, part.pivot)
      : (part.uvs.length === partVertices * 2 ? part.uvs : new Float32Array(partVertices * 2));
    uvs.set(partUvs, vertexOffset * 2);
    for (let i = 0; i < part.indices.length; i++) indices[indexOffset + i] = part.indices[i] + vertexOffset;
    const card = part.material === 'hair' && hairMesh ? { texture: hairMesh.texture, vertexColours: hairMesh.vertexColours, alpha: textureAlpha } : isFaceCard(part) ? { texture: faceCardTexture(data, part), alpha: nearestTexelAlpha } : null;
    if (card) cards.push({ ...card, firstVertex: vertexOffset, vertexCount: partVertices });
    const material = part.material === 'eye' ? MATERIAL_EYE : part.material === 'skin' ? MATERIAL_SKIN : card ? MATERIAL_HAIR : MATERIAL_PLAIN;
    triangleMaterial.fill(material, indexOffset / 3, (indexOffset + part.indices.length) / 3);
    if (material === MATERIAL_PLAIN) {
      if (part.vertexColours) plainColours.set(part.vertexColours, vertexOffset * 3);
      else for (let v = vertexOffset; v < vertexOffset + partVertices; v++) plainColours.set(PLAIN_COLOUR, 3 * v);
    }
    vertexOffset += partVertices;
    indexOffset += part.indices.length;
  }
  const { min, max } = positionBounds(headPositions);
  const centre: [number, number, number] = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  let radius = 0;
  for (let i = 0; i < headPositions.length; i += 3) {
    const r = Math.hypot(headPositions[i] - centre[0], headPositions[i + 2] - centre[2]);
    if (r > radius) radius = r;
  }
  const vertexTint = headVertexColours(model, data.neutralVertices, { hair: hairMesh }) ?? undefined;
  return { positions, normals, uvs, indices, triangleMaterial, centre, halfHeight: (max[1] - min[1]) / 2, radius, vertexTint, cards, plainColours };
}

/** The albedo of an untextured part's pixel: its vertices' colours interpolated (linear RGB, into `colour`). */
export function plainColourAt(scene: PreviewScene, triangle: number, surface: SurfaceSample, colour: Float32Array): void {
  for (let k = 0; k < 3; k++) colour[k] = interpolateRgb(scene.plainColours, scene.indices, triangle, surface, k);
}

/** Channel k of a per-vertex RGB attribute, interpolated at a pixel of `triangle`. */
function interpolateRgb(values: Float32Array, indices: Uint32Array, triangle: number, surface: SurfaceSample, k: number): number {
  return surface.w0 * values[3 * indices[3 * triangle] + k] + surface.w1 * values[3 * indices[3 * triangle + 1] + k] + surface.w2 * values[3 * indices[3 * triangle + 2] + k];
}

/** Multiplies a head pixel's colour by the scene's per-vertex tint (the dark mouth pocket), when it has one. */
export function applyVertexTint(scene: PreviewScene, triangle: number, surface: SurfaceSample, colour: Float32Array): void {
  const tint = scene.vertexTint;
  const { indices } = scene;
  if (!tint || 3 * indices[3 * triangle] >= tint.length) return;
  for (let k = 0; k < 3; k++) colour[k] *= interpolateRgb(tint, indices, triangle, surface, k);
}

/** Bilinear sample of an sRGB texture at (u, v up), returned in linear light into `out`. */
export function sampleLinear(image: RgbaImage, u: number, v: number, out: Float32Array): void {
  const { data } = image, taps = sampleTaps;
  bilinearTaps(image.width, image.height, u, v, taps);
  const o00 = taps[0] * 4, o10 = taps[1] * 4, o01 = taps[2] * 4, o11 = taps[3] * 4;
  for (let c = 0; c < 3; c++) {
    out[c] = taps[4] * SRGB_TO_LINEAR[data[o00 + c]] + taps[5] * SRGB_TO_LINEAR[data[o10 + c]]
      + taps[6] * SRGB_TO_LINEAR[data[o01 + c]] + taps[7] * SRGB_TO_LINEAR[data[o11 + c]];
  }
}

const sampleTaps = new Float64Array(8);

/**
 * Alpha of an RGBA texture at (u, v up), bilinear between texel centres as a GPU samples it, 0..1.
 * The alpha test's edge is then the texture's 0.5 contour, running smoothly across texels: read
 * from the nearest texel it was the texels' staircase, and where a card stretches its texture
 * (long01's hairline spans under 10 texels of u over the forehead's height) each texel is a step
 * of 3-5 mm.
 */
export function textureAlpha(image: RgbaImage, u: number, v: number): number {
  return bilinearChannel(image.data, image.width, image.height, 4, 3, u, v) / 255;
}

/** Alpha of an RGBA texture at (u, v up), nearest texel, 0..1: for cards that Babylon blends without an alpha test (CardSet). */
export function nearestTexelAlpha(image: RgbaImage, u: number, v: number): number {
  const x = Math.min(image.width - 1, Math.max(0, Math.floor(u * image.width)));
  const y = Math.min(image.height - 1, Math.max(0, Math.floor((1 - v) * image.height)));
  return image.data[(y * image.width + x) * 4 + 3] / 255;
}

/** The card set a vertex belongs to. */
function cardLookup(cards: readonly CardSet[]): (vertex: number) => CardSet {
  return (vertex) => cards.find((c) => vertex >= c.firstVertex && vertex < c.firstVertex + c.vertexCount)!;
}

function normalize3(x: number, y: number, z: number): [number, number, number] {
  const l = Math.hypot(x, y, z);
  return [x / l, y / l, z / l];
}

// View-space lights (x right, y up, z towards the viewer): key from the upper left, fill from the right.
const KEY = normalize3(-0.45, 0.55, 0.75);
const FILL = normalize3(0.6, 0.1, 0.6);
const HALF_KEY = normalize3(KEY[0], KEY[1], KEY[2] + 1);
const KEY_INTENSITY = 0.95;
const FILL_INTENSITY = 0.3;
const AMBIENT = 0.2;
/** Wrapped diffuse softens the terminator the way scattering in skin does. */
const WRAP = 0.25;
export const PLAIN_COLOUR = [0.62, 0.58, 0.5];

/** A preview camera: yaw about the head's vertical axis, then elevation above it (radians). */
export interface PreviewView { yawRad: number; elevationRad?: number }

/**
 * Renders one view with linear RGB accumulated into `accum` (view width x height, 3 floats per
 * pixel, already at supersampled resolution); `target.triangle` keeps which triangle each pixel shows.
 */
export function renderView(scene: PreviewScene, view: PreviewView, target: RasterTarget, albedo: RgbaImage, eyeTexture: RgbaImage, background: Float32Array, accum: Float32Array): void {
  const { positions, normals, uvs, indices, triangleMaterial, centre } = scene;
  const { width, height } = target;
  const vertexCount = positions.length / 3;
  const cos = Math.cos(view.yawRad), sin = Math.sin(view.yawRad);
  const elevation = view.elevationRad ?? 0, cosUp = Math.cos(elevation), sinUp = Math.sin(elevation);
  const distance = scene.halfHeight * 2 * CAMERA_DISTANCE_HEADS;
  // Frame the head: its vertical extent (seen from the elevation) and its horizontal radius both fit with a margin.
  const fit = 0.86;
  const verticalHalf = Math.abs(cosUp) * scene.halfHeight + Math.abs(sinUp) * scene.radius;
  const focal = Math.min(
    (fit * height / 2) * (distance - scene.radius) / verticalHalf,
    (fit * width / 2) * (distance - scene.radius) / scene.radius,
  );
  const screen = new Float32Array(vertexCount * 3);
  const viewNormals = new Float32Array(vertexCount * 3);
  for (let i = 0; i < vertexCount; i++) {
    // Yaw turns the head about the vertical axis through its centre (positive shows its +X side);
    // elevation then tips its top towards the camera.
    const px = positions[3 * i] - centre[0], py = positions[3 * i + 1] - centre[1], pz = positions[3 * i + 2] - centre[2];
    const x = cos * px - sin * pz;
    const zYawed = sin * px + cos * pz;
    const y = cosUp * py - sinUp * zYawed, z = sinUp * py + cosUp * zYawed;
    const depth = distance - z;
    screen[3 * i] = (width - 1) / 2 + (focal * x) / depth;
    screen[3 * i + 1] = (height - 1) / 2 - (focal * y) / depth;
    screen[3 * i + 2] = depth;
    const nx = normals[3 * i], ny = normals[3 * i + 1], nz = normals[3 * i + 2];
    const nzYawed = sin * nx + cos * nz;
    viewNormals[3 * i] = cos * nx - sin * nz;
    viewNormals[3 * i + 1] = cosUp * ny - sinUp * nzYawed;
    viewNormals[3 * i + 2] = sinUp * ny + cosUp * nzYawed;
  }
  const cardOf = cardLookup(scene.cards);
  rasterizeTriangles(target, screen, indices, { cull: 'back', include: scene.cards.length ? (t) => triangleMaterial[t] !== MATERIAL_HAIR : undefined });
  if (scene.cards.length) {
    // Strand cards: both sides, alpha-tested (the texture's alpha is the strand coverage).
    const uvAt = (t: number, b1: number, b2: number, k: number) =>
      (1 - b1 - b2) * uvs[2 * indices[3 * t] + k] + b1 * uvs[2 * indices[3 * t + 1] + k] + b2 * uvs[2 * indices[3 * t + 2] + k];
    rasterizeTriangles(target, screen, indices, {
      include: (t) => triangleMaterial[t] === MATERIAL_HAIR,
      accept: (t, b1, b2) => { const card = cardOf(indices[3 * t]); return card.alpha(card.texture, uvAt(t, b1, b2, 0), uvAt(t, b1, b2, 1)) >= 0.5; },
    });
  }
  const colour = new Float32Array(3);
  const surface: SurfaceSample = { w0: 1, w1: 0, w2: 0, u: 0, v: 0, nx: 0, ny: 0, nz: 1 };
  for (let p = 0; p < width * height; p++) {
    const t = target.triangle[p];
    if (t < 0) {
      accum[3 * p] = background[0];
      accum[3 * p + 1] = background[1];
      accum[3 * p + 2] = background[2];
      continue;
    }
    surfaceAt(target, p, screen, indices, uvs, viewNormals, surface);
    const { u, v } = surface;
    // Two-sided cards face the viewer.
    const flip = triangleMaterial[t] === MATERIAL_HAIR && surface.nz < 0 ? -1 : 1;
    const nx = flip * surface.nx, ny = flip * surface.ny, nz = flip * surface.nz;
    const material = triangleMaterial[t];
    if (material === MATERIAL_SKIN) sampleLinear(albedo, u, v, colour);
    else if (material === MATERIAL_EYE) sampleLinear(eyeTexture, u, v, colour);
    else if (material === MATERIAL_HAIR) {
      const card = cardOf(indices[3 * t]);
      sampleLinear(card.texture, u, v, colour);
      const vc = card.vertexColours, f = card.firstVertex;
      if (vc) {
        for (let k = 0; k < 3; k++) {
          colour[k] *= surface.w0 * vc[3 * (indices[3 * t] - f) + k] + surface.w1 * vc[3 * (indices[3 * t + 1] - f) + k] + surface.w2 * vc[3 * (indices[3 * t + 2] - f) + k];
        }
      }
    }
    else plainColourAt(scene, t, surface, colour);
    if (material === MATERIAL_SKIN) applyVertexTint(scene, t, surface, colour);
    const key = Math.max(0, (nx * KEY[0] + ny * KEY[1] + nz * KEY[2] + WRAP) / (1 + WRAP));
    const fill = Math.max(0, (nx * FILL[0] + ny * FILL[1] + nz * FILL[2] + WRAP) / (1 + WRAP));
    const light = AMBIENT + KEY_INTENSITY * key + FILL_INTENSITY * fill;
    let specular = 0;
    if (material === MATERIAL_EYE) {
      const h = Math.max(0, nx * HALF_KEY[0] + ny * HALF_KEY[1] + nz * HALF_KEY[2]);
      specular = 0.9 * Math.pow(h, 120);
    } else if (material === MATERIAL_SKIN) {
      const h = Math.max(0, nx * HALF_KEY[0] + ny * HALF_KEY[1] + nz * HALF_KEY[2]);
      specular = 0.035 * Math.pow(h, 24);
    }
    accum[3 * p] = colour[0] * light + specular;
    accum[3 * p + 1] = colour[1] * light + specular;
    accum[3 * p + 2] = colour[2] * light + specular;
  }
}

/** Two views (front, three-quarter) side by side, as an opaque RGBA image. */
export function renderPreview(data: AvatarData, options: PreviewOptions = {}): RgbaImage {
  const width = Math.round(options.width ?? 1024);
  const height = Math.round(options.height ?? 512);
  if (!(width >= 16 && height >= 16 && width <= 8192 && height <= 8192)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Preview size must be 16..8192 pixels a side, got ${width}x${height}.`);
  }
  const expression = options.expression ?? data.expression;
  if (expression.length !== data.model.expressionNames.length) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Preview expression has ${expression.length} weights; the model has ${data.model.expressionNames.length} modes.`);
  }
  const scene = buildPreviewScene(data, expression, { hair: true });
  if (options.mouthInterior === false) scene.vertexTint = undefined;
  const eyeTexture = createEyeTexture({ irisColor: data.irisColor });
  const albedo = albedoWithStubble(data);
  const bg = options.background ?? [128, 128, 128];
  const background = Float32Array.from(bg, (c) => SRGB_TO_LINEAR[Math.max(0, Math.min(255, Math.round(c)))]);
  const viewWidths = [Math.floor(width / 2), width - Math.floor(width / 2)];
  const yaws = [0, ((options.threeQuarterYawDeg ?? 35) * Math.PI) / 180];
  const elevationRad = ((options.elevationDeg ?? 0) * Math.PI) / 180;
  const out = new Uint8ClampedArray(width * height * 4);
  let xOffset = 0;
  for (let view = 0; view < 2; view++) {
    const viewWidth = viewWidths[view];
    const target = createRasterTarget(viewWidth * SUPERSAMPLING, height * SUPERSAMPLING);
    const accum = new Float32Array(target.width * target.height * 3);
    renderView(scene, { yawRad: yaws[view], elevationRad }, target, albedo, eyeTexture, background, accum);
    downsampleInto(accum, target.width, viewWidth, height, out, width, xOffset);
    xOffset += viewWidth;
  }
  return { width, height, data: out };
}

/** Box-filters the supersampled linear image and writes sRGB pixels at column `xOffset` of `out`. */
function downsampleInto(accum: Float32Array, accumWidth: number, viewWidth: number, height: number, out: Uint8ClampedArray, outWidth: number, xOffset: number): void {
  const norm = 1 / (SUPERSAMPLING * SUPERSAMPLING);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < viewWidth; x++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < SUPERSAMPLING; sy++) {
        for (let sx = 0; sx < SUPERSAMPLING; sx++) {
          const q = ((y * SUPERSAMPLING + sy) * accumWidth + x * SUPERSAMPLING + sx) * 3;
          r += accum[q]; g += accum[q + 1]; b += accum[q + 2];
        }
      }
      const o = (y * outWidth + xOffset + x) * 4;
      out[o] = linearToSrgb8(r * norm);
      out[o + 1] = linearToSrgb8(g * norm);
      out[o + 2] = linearToSrgb8(b * norm);
      out[o + 3] = 255;
    }
  }
}
