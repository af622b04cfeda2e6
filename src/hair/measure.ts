/**
 * Hair measurements for benches and tests: the rendered hair's colour under neutral light, and how
 * much hair colour the skin albedo kept under the photo's hair mask.
 */
import type { AvatarData, Mask, RgbaImage } from '../types.js';
import { expressedVertices } from '../export/avatar-rig.js';
import { unwrapPhoto } from '../albedo/unwrap.js';
import { SRGB_TO_LINEAR } from '../image/srgb.js';
import { projectToImage } from '../render/project.js';
import { createRasterTarget, rasterizeTriangles } from '../render/rasterize.js';
import { sampleLinear, textureAlpha } from '../render/preview.js';
import { deltaE76 } from './colour-space.js';

/**
 * The hair rendered from the photo's camera under unit white light (texture x root tone,
 * alpha-tested at 0.5): its mean linear colour over the pixels the photo's hair mask covers.
 */
export function hairRenderStats(data: AvatarData): { meanColour: [number, number, number]; pixels: number } {
  const mesh = data.hair!.mesh!;
  const mask = data.hair!.detected!.mask!;
  const { positions, indices, uvs } = mesh.part;
  const screen = projectToImage(positions, data.camera);
  const corner = (t: number, b1: number, b2: number, values: Float32Array, stride: number, k: number) =>
    (1 - b1 - b2) * values[stride * indices[3 * t] + k] + b1 * values[stride * indices[3 * t + 1] + k] + b2 * values[stride * indices[3 * t + 2] + k];
  const target = createRasterTarget(mask.width, mask.height);
  rasterizeTriangles(target, screen, indices, { accept: (t, b1, b2) => textureAlpha(mesh.texture, corner(t, b1, b2, uvs, 2, 0), corner(t, b1, b2, uvs, 2, 1)) >= 0.5 });
  const sum = [0, 0, 0], colour = new Float32Array(3);
  let pixels = 0;
  for (let p = 0; p < target.triangle.length; p++) {
    const t = target.triangle[p];
    if (t < 0 || !mask.data[p]) continue;
    const b1 = target.bary[2 * p], b2 = target.bary[2 * p + 1];
    sampleLinear(mesh.texture, corner(t, b1, b2, uvs, 2, 0), corner(t, b1, b2, uvs, 2, 1), colour);
    for (let c = 0; c < 3; c++) sum[c] += colour[c] * corner(t, b1, b2, mesh.vertexColours, 3, c);
    pixels++;
  }
  return { meanColour: sum.map((s) => s / Math.max(1, pixels)) as [number, number, number], pixels };
}

/**
 * Skin showing where the photo shows hair: from the photo's camera, the share of the pixels that
 * the photo's hair mask and the fitted head both cover in which the skin is seen, not the hair
 * (alpha-tested at 0.5). Gaps between strand cards and a hairline lower in the photo than on the
 * style both count.
 */
export function scalpShowThrough(data: AvatarData): { share: number; pixels: number } {
  const mesh = data.hair?.mesh, mask = data.hair?.detected?.mask;
  if (!mesh || !mask) return { share: 0, pixels: 0 };
  const target = createRasterTarget(mask.width, mask.height);
  rasterizeTriangles(target, projectToImage(expressedVertices(data), data.camera), data.model.indices, { cull: 'back' });
  const head = target.triangle.slice();
  target.triangle.fill(-1);
  const { positions, indices, uvs } = mesh.part;
  const uvAt = (t: number, b1: number, b2: number, k: number) => (1 - b1 - b2) * uvs[2 * indices[3 * t] + k] + b1 * uvs[2 * indices[3 * t + 1] + k] + b2 * uvs[2 * indices[3 * t + 2] + k];
  rasterizeTriangles(target, projectToImage(positions, data.camera), indices, { accept: (t, b1, b2) => textureAlpha(mesh.texture, uvAt(t, b1, b2, 0), uvAt(t, b1, b2, 1)) >= 0.5 });
  let pixels = 0, skin = 0;
  for (let p = 0; p < head.length; p++) {
    if (head[p] < 0 || !mask.data[p]) continue;
    pixels++;
    if (target.triangle[p] < 0) skin++;
  }
  return { share: pixels ? skin / pixels : 0, pixels };
}

/** Surface each texel of a triangle stands for: the triangle's rest-shape area over its UV area. */
function surfacePerTexel(model: AvatarData['model'], t: number): number {
  const { positions: P, uvs, indices } = model;
  const a = indices[3 * t], b = indices[3 * t + 1], c = indices[3 * t + 2];
  const e1x = P[3 * b] - P[3 * a], e1y = P[3 * b + 1] - P[3 * a + 1], e1z = P[3 * b + 2] - P[3 * a + 2];
  const e2x = P[3 * c] - P[3 * a], e2y = P[3 * c + 1] - P[3 * a + 1], e2z = P[3 * c + 2] - P[3 * a + 2];
  const area = Math.hypot(e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x);
  const uvArea = Math.abs((uvs[2 * b] - uvs[2 * a]) * (uvs[2 * c + 1] - uvs[2 * a + 1]) - (uvs[2 * c] - uvs[2 * a]) * (uvs[2 * b + 1] - uvs[2 * a + 1]));
  return uvArea > 0 ? area / uvArea : 0;
}

/**
 * Share of the head's forehead and scalp skin surface (above the brows, iBUG 17-26) that the photo
 * shows under its hair mask (visible, facing the camera) and whose albedo kept hair colour: nearer
 * the hair's base colour than the skin albedo's median (CIE76). The target is under 2 %. Each
 * texel counts with the surface it stands for, so the share does not depend on how many texels
 * the UV layout gives the forehead against the scalp (the face-magnifying layout gives the forehead
 * several times the scalp's). `texels`: how many texels were measured.
 */
export function hairInSkinShare(data: AvatarData, image: RgbaImage): { share: number; texels: number; hairMask: Mask } {
  const hairMask = data.hair!.detected!.mask!;
  const { albedo, model } = data;
  const unwrap = unwrapPhoto({ image, model, vertices: expressedVertices(data), camera: data.camera, skinMask: hairMask, faceMask: hairMask }, albedo.width);
  const { raster } = unwrap;
  const vertices = expressedVertices(data);
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += vertices[3 * model.landmarks68[k] + 1] / 10;
  const { indices } = model;
  const texelY = (i: number): number => {
    const t = raster.triangle[i], b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1];
    return (1 - b1 - b2) * vertices[3 * indices[3 * t] + 1] + b1 * vertices[3 * indices[3 * t + 1] + 1] + b2 * vertices[3 * indices[3 * t + 2] + 1];
  };
  const texelColour = (i: number): number[] => [0, 1, 2].map((c) => SRGB_TO_LINEAR[albedo.data[4 * raster.texel[i] + c]]);
  const skin: number[][] = [[], [], []];
  for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0.5) texelColour(i).forEach((v, c) => skin[c].push(v));
  const skinMedian = skin.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0);
  let texels = 0, surface = 0, hairySurface = 0;
  for (let i = 0; i < raster.texel.length; i++) {
    if (unwrap.weight[i] <= 0 || texelY(i) < browY) continue;
    texels++;
    const weight = surfacePerTexel(model, raster.triangle[i]);
    surface += weight;
    const colour = texelColour(i);
    if (deltaE76(colour, data.hair!.base) < deltaE76(colour, skinMedian)) hairySurface += weight;
  }
  return { share: surface > 0 ? hairySurface / surface : 0, texels, hairMask };
}
