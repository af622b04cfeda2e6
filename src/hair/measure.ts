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

/**
 * Share of the head's forehead and scalp albedo texels (above the brows, iBUG 17-26) that the
 * photo shows under its hair mask (visible, facing the camera) and that kept hair colour: nearer
 * the hair's base colour than the skin albedo's median (CIE76). The target is under 2 %.
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
  let texels = 0, hairy = 0;
  for (let i = 0; i < raster.texel.length; i++) {
    if (unwrap.weight[i] <= 0 || texelY(i) < browY) continue;
    texels++;
    const colour = texelColour(i);
    if (deltaE76(colour, data.hair!.base) < deltaE76(colour, skinMedian)) hairy++;
  }
  return { share: texels ? hairy / texels : 0, texels, hairMask };
}
