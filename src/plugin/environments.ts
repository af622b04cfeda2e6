/**
 * Procedural image-based lighting for Avatar.relight: small HDR cube maps computed from a few
 * analytic light shapes (sky gradient, ground, soft area lights), so no .env/.hdr file is
 * downloaded or shipped. The diffuse part (spherical harmonics, what skin mostly shows) is
 * computed on the CPU from the very texels that are uploaded, so PBR materials never need the GPU
 * readback that Babylon otherwise performs for raw cube textures (impossible on NullEngine).
 *
 * Directions are Babylon world space (left-handed, +Y up). An avatar built by buildAvatar faces
 * world +Z, so "front" lights sit at positive z.
 */
import '@babylonjs/core/Materials/Textures/baseTexture.polynomial.js';
import { Constants } from '@babylonjs/core/Engines/constants.js';
import { BaseTexture } from '@babylonjs/core/Materials/Textures/baseTexture.js';
import { InternalTexture, InternalTextureSource } from '@babylonjs/core/Materials/Textures/internalTexture.js';
import { RawCubeTexture } from '@babylonjs/core/Materials/Textures/rawCubeTexture.js';
import { CubeMapToSphericalPolynomialTools } from '@babylonjs/core/Misc/HighDynamicRange/cubemapToSphericalPolynomial.js';
import type { Scene } from '@babylonjs/core/scene.js';
import { encodeHalfArray } from '../math/half.js';

export type EnvironmentPreset = 'studio' | 'outdoor' | 'indoor';

type Rgb = [number, number, number];

/** A soft light on the sphere: radiance * max(0, dot(d, direction))^sharpness. */
interface Lobe { direction: Rgb; radiance: Rgb; sharpness: number }

interface EnvironmentRecipe {
  zenith: Rgb;
  horizon: Rgb;
  ground: Rgb;
  lobes: Lobe[];
  /** scene.environmentIntensity to use with it. */
  intensity: number;
}

function normalized(v: Rgb): Rgb {
  const length = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / length, v[1] / length, v[2] / length];
}

/** Linear-light radiance. */
const RECIPES: Record<EnvironmentPreset, EnvironmentRecipe> = {
  // Neutral grey cyclorama, large key softbox front-left, weaker fill front-right, cool rim behind.
  studio: {
    zenith: [0.18, 0.18, 0.19], horizon: [0.12, 0.12, 0.12], ground: [0.06, 0.06, 0.06],
    lobes: [
      { direction: normalized([0.6, 0.45, 0.75]), radiance: [3.2, 3.1, 2.95], sharpness: 12 },
      { direction: normalized([-0.75, 0.1, 0.6]), radiance: [0.9, 0.92, 1.0], sharpness: 6 },
      { direction: normalized([0, 0.35, -1]), radiance: [1.2, 1.3, 1.5], sharpness: 16 },
    ],
    intensity: 1,
  },
  // Blue sky, warm sun high on one side, brownish-green ground bounce.
  outdoor: {
    zenith: [0.25, 0.42, 0.85], horizon: [0.75, 0.82, 0.92], ground: [0.18, 0.17, 0.12],
    lobes: [{ direction: normalized([0.45, 0.75, 0.5]), radiance: [9, 8.2, 6.8], sharpness: 90 }],
    intensity: 1.2,
  },
  // Dim room: warm ceiling lamp, dark walls, faint cool window light from the side.
  indoor: {
    zenith: [0.1, 0.08, 0.06], horizon: [0.06, 0.05, 0.04], ground: [0.03, 0.025, 0.02],
    lobes: [
      { direction: normalized([0.1, 1, 0.25]), radiance: [2.2, 1.6, 0.9], sharpness: 10 },
      { direction: normalized([-1, 0.15, 0.3]), radiance: [0.35, 0.45, 0.6], sharpness: 8 },
    ],
    intensity: 0.6,
  },
};

/** Babylon's cube face layout (same table as CubeMapToSphericalPolynomialTools): normal, file x, file y. */
const FACES: { name: 'right' | 'left' | 'up' | 'down' | 'front' | 'back'; normal: Rgb; x: Rgb; y: Rgb }[] = [
  { name: 'right', normal: [1, 0, 0], x: [0, 0, -1], y: [0, -1, 0] },
  { name: 'left', normal: [-1, 0, 0], x: [0, 0, 1], y: [0, -1, 0] },
  { name: 'up', normal: [0, 1, 0], x: [1, 0, 0], y: [0, 0, 1] },
  { name: 'down', normal: [0, -1, 0], x: [1, 0, 0], y: [0, 0, -1] },
  { name: 'front', normal: [0, 0, 1], x: [1, 0, 0], y: [0, -1, 0] },
  { name: 'back', normal: [0, 0, -1], x: [-1, 0, 0], y: [0, -1, 0] },
];

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/** Radiance of the recipe towards the unit direction (dx, dy, dz), written to out[offset..+2]. */
function radianceInto(recipe: EnvironmentRecipe, dx: number, dy: number, dz: number, out: Float32Array, offset: number): void {
  const skyMix = Math.sqrt(Math.max(0, dy));
  const groundMix = smoothstep(0.02, -0.08, dy);
  for (let c = 0; c < 3; c++) {
    const sky = recipe.horizon[c] + (recipe.zenith[c] - recipe.horizon[c]) * skyMix;
    out[offset + c] = sky + (recipe.ground[c] - sky) * groundMix;
  }
  for (const lobe of recipe.lobes) {
    const cosine = dx * lobe.direction[0] + dy * lobe.direction[1] + dz * lobe.direction[2];
    if (cosine <= 0) continue;
    const weight = Math.pow(cosine, lobe.sharpness);
    for (let c = 0; c < 3; c++) out[offset + c] += lobe.radiance[c] * weight;
  }
}

/** Six RGBA float faces of `size`², in FACES order. */
export function renderEnvironmentFaces(preset: EnvironmentPreset, size: number): Float32Array[] {
  const recipe = RECIPES[preset];
  return FACES.map((face) => {
    const pixels = new Float32Array(size * size * 4);
    for (let y = 0; y < size; y++) {
      const v = ((y + 0.5) / size) * 2 - 1;
      for (let x = 0; x < size; x++) {
        const u = ((x + 0.5) / size) * 2 - 1;
        let dx = face.normal[0] + face.x[0] * u + face.y[0] * v;
        let dy = face.normal[1] + face.x[1] * u + face.y[1] * v;
        let dz = face.normal[2] + face.x[2] * u + face.y[2] * v;
        const inverseLength = 1 / Math.hypot(dx, dy, dz);
        dx *= inverseLength; dy *= inverseLength; dz *= inverseLength;
        const offset = (y * size + x) * 4;
        radianceInto(recipe, dx, dy, dz, pixels, offset);
        pixels[offset + 3] = 1;
      }
    }
    return pixels;
  });
}

/** scene.environmentIntensity that goes with a preset. */
export function environmentIntensity(preset: EnvironmentPreset): number {
  return RECIPES[preset].intensity;
}

export function isEnvironmentPreset(value: unknown): value is EnvironmentPreset {
  return value === 'studio' || value === 'outdoor' || value === 'indoor';
}

/**
 * An HDR (half-float) cube texture for `preset` with its spherical polynomial already set.
 * 32² faces are plenty: the recipes are low-frequency, and the sun lobe is ~10° wide.
 */
export function createEnvironmentTexture(scene: Scene, preset: EnvironmentPreset, size = 32): BaseTexture {
  const faces = renderEnvironmentFaces(preset, size);
  const texture = uploadCube(scene, faces.map((face) => encodeHalfArray(face)), size);
  texture.name = `environment.${preset}`;
  texture.gammaSpace = false;
  texture.sphericalPolynomial = CubeMapToSphericalPolynomialTools.ConvertCubeMapToSphericalPolynomial({
    size,
    right: faces[0], left: faces[1], up: faces[2], down: faces[3], front: faces[4], back: faces[5],
    format: Constants.TEXTUREFORMAT_RGBA, type: Constants.TEXTURETYPE_FLOAT, gammaSpace: false,
  });
  return texture;
}

function uploadCube(scene: Scene, faces: Uint16Array[], size: number): BaseTexture {
  const engine = scene.getEngine();
  // WebGPU uploads raw cubes itself; WebGL engines need their GL context, which NullEngine lacks.
  const hasContext = engine.isWebGPU || !!(engine as unknown as { _gl?: unknown })._gl;
  if (hasContext) {
    return new RawCubeTexture(scene, faces, size, Constants.TEXTUREFORMAT_RGBA, Constants.TEXTURETYPE_HALF_FLOAT, true, false, Constants.TEXTURE_TRILINEAR_SAMPLINGMODE);
  }
  // NullEngine renders nothing and has no raw cube upload (RawCubeTexture throws there): a cube
  // texture of the same shape without pixels keeps relighting usable in headless Node programs.
  const internal = new InternalTexture(engine, InternalTextureSource.CubeRaw);
  internal.isCube = true;
  internal.format = Constants.TEXTUREFORMAT_RGBA;
  internal.type = Constants.TEXTURETYPE_HALF_FLOAT;
  internal.width = internal.height = internal.baseWidth = internal.baseHeight = size;
  return new BaseTexture(scene, internal);
}
