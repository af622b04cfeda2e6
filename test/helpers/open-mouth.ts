/**
 * How an open mouth looks in the preview renderer (src/render/preview.ts): the avatar at jawOpen = 1
 * is rendered at the preview's shading, and each supersample inside the lip opening is classed by
 * what it shows: the head's mouth pocket (the skin the oral-cavity tint darkens), upper teeth,
 * lower teeth or tongue. Figures are in sRGB (what a viewer sees): luma 0 ... 255 (Rec. 709
 * weights) and saturation (max - min) / max.
 */
import { isFaceCard } from '../../src/hair/face-cards.js';
import { linearToSrgb8 } from '../../src/image/srgb.js';
import { createEyeTexture } from '../../src/materials/eye-texture.js';
import { partsFollowingShape, type SubMesh } from '../../src/modelpack/head-model.js';
import { buildPreviewScene, renderView, SUPERSAMPLING } from '../../src/render/preview.js';
import { createRasterTarget } from '../../src/render/rasterize.js';
import type { AvatarData } from '../../src/types.js';

const POCKET = 0, UPPER = 1, LOWER = 2, TONGUE = 3;
const CLASS_OF_PART: Record<string, number> = { upperTeeth: UPPER, lowerTeeth: LOWER, tongue: TONGUE };
/** A tooth crown's pixel: near-neutral and light (gums are red, the shadowed molars dark). */
const CROWN_MAX_SATURATION = 0.45;
const CROWN_MIN_LUMA = 90;
/** A pocket pixel brighter than this reads as lit lining rather than the cavity's shadow. */
const LIT_POCKET_LUMA = 25;
/** Fractions of the teeth's depth (incisal front to the last molars, rest pose): the incisors in front, the premolars and molars behind. */
const FRONT_TEETH_DEPTH = 0.12;
const BACK_TEETH_DEPTH = 0.3;

export interface OpenMouthLook {
  /** Pixels (output, not supersamples) of the opening: pocket, teeth and tongue. */
  opening: number;
  /** Mean luma of the opening's soft tissue (pocket and tongue: all but the teeth). */
  cavityLuma: number;
  tonguePixels: number;
  tongueLuma: number;
  tongueSaturation: number;
  /** Crown pixels of the lower teeth in the lower half of the opening, and of the upper teeth anywhere. */
  lowerCrowns: number;
  upperCrowns: number;
  /** Lower-teeth pixels that the pocket's skin hides (the same view rendered without it, minus this one). */
  lowerHiddenByPocket: number;
  /** Mean luma of the lower teeth's enamel (saturation below a crown's) in front (incisors) and at the back (premolars, molars) of the arch; 0 where none shows. */
  lowerFrontLuma: number;
  lowerBackLuma: number;
  /** Pocket pixels brighter than LIT_POCKET_LUMA (the cheek walls' lining where the light reaches it). */
  litPocket: number;
  /** RMS luma of the pocket along rows less its running mean over 1/64 of the view (stripes of the walls' shading); runs of pocket shorter than 1/25 of the view are left out. */
  pocketRipple: number;
  /** Lower-teeth pixels behind the incisors (premolars, molars) that show gum (saturation from a crown's up): their count and mean saturation and luma. */
  lowerBackGumPixels: number;
  lowerBackGumSaturation: number;
  lowerBackGumLuma: number;
}

/** RMS of `luma` less its running mean over `window` (odd) samples, along each row's runs of `inRun` at least `minRun` long, away from their ends. */
function rowRipple(luma: Float32Array, inRun: (p: number) => boolean, width: number, window: number, minRun: number): number {
  const half = (window - 1) / 2;
  let sum = 0, count = 0;
  for (let row = 0; row < luma.length; row += width) {
    for (let x = 0; x < width;) {
      if (!inRun(row + x)) { x++; continue; }
      let end = x;
      while (end < width && inRun(row + end)) end++;
      if (end - x >= minRun) {
        for (let i = x + half; i < end - half; i++) {
          let mean = 0;
          for (let d = -half; d <= half; d++) mean += luma[row + i + d];
          const r = luma[row + i] - mean / window;
          sum += r * r; count++;
        }
      }
      x = end;
    }
  }
  return count > 0 ? Math.sqrt(sum / count) : 0;
}

/** Each triangle's depth behind the front of the teeth (0 at the incisal front, 1 at the last molars), -1 off the teeth, in the scene's triangle order after `headTriangles`. */
function teethTriangleDepth(parts: SubMesh[], headTriangles: number, triangles: number): Float32Array {
  const depth = new Float32Array(triangles).fill(-1);
  const teeth = parts.filter((p) => p.name === 'upperTeeth' || p.name === 'lowerTeeth');
  let front = -Infinity, back = Infinity;
  for (const part of teeth) for (let i = 2; i < part.positions.length; i += 3) { front = Math.max(front, part.positions[i]); back = Math.min(back, part.positions[i]); }
  let t0 = headTriangles;
  for (const part of parts) {
    if (teeth.includes(part)) {
      for (let t = 0; t < part.indices.length / 3; t++) {
        const z = [0, 1, 2].reduce((sum, j) => sum + part.positions[3 * part.indices[3 * t + j] + 2], 0) / 3;
        depth[t0 + t] = (front - z) / (front - back);
      }
    }
    t0 += part.indices.length / 3;
  }
  return depth;
}

/** `size`: the view's side in output pixels; `yawDeg`: as the preview's three-quarter view (positive shows the subject's left). */
export function openMouthLook(data: AvatarData, yawDeg: number, size: number): OpenMouthLook {
  const classes = (dropPocket: boolean) => {
    const { model } = data;
    const expression = Float32Array.from(model.expressionNames, (n) => (n === 'jawOpen' ? 1 : 0));
    const scene = buildPreviewScene(data, expression);
    const parts = partsFollowingShape(model, data.neutralVertices).filter((p) => !isFaceCard(p));
    const headTriangles = model.indices.length / 3;
    const partClass = new Int8Array(scene.indices.length / 3).fill(-1);
    let t0 = headTriangles;
    for (const part of parts) { partClass.fill(CLASS_OF_PART[part.name] ?? -1, t0, t0 + part.indices.length / 3); t0 += part.indices.length / 3; }
    const tint = scene.vertexTint;
    const inPocket = (t: number) => !!tint && t < headTriangles && [0, 1, 2].every((j) => tint[3 * scene.indices[3 * t + j]] < 1);
    for (let t = 0; t < headTriangles; t++) if (inPocket(t)) partClass[t] = POCKET;
    if (dropPocket) {
      const keep = Array.from({ length: scene.indices.length / 3 }, (_, t) => partClass[t] !== POCKET);
      scene.indices = Uint32Array.from(Array.from(scene.indices).filter((_, i) => keep[Math.floor(i / 3)]));
      scene.triangleMaterial = scene.triangleMaterial.filter((_, t) => keep[t]);
      const kept = partClass.filter((_, t) => keep[t]);
      partClass.fill(-1).set(kept);
    }
    const target = createRasterTarget(size * SUPERSAMPLING, size * SUPERSAMPLING);
    const accum = new Float32Array(target.width * target.height * 3);
    renderView(scene, { yawRad: (yawDeg * Math.PI) / 180 }, target, data.albedo, createEyeTexture({ irisColor: data.irisColor }), new Float32Array(3), accum);
    const cls = Int8Array.from(target.triangle, (t) => (t < 0 ? -1 : partClass[t]));
    // Only the full scene's pixels are measured by depth; the one without the pocket has its triangles renumbered.
    const teethDepth = dropPocket ? null : teethTriangleDepth(parts, headTriangles, scene.indices.length / 3);
    const depth = Float32Array.from(target.triangle, (t) => (t < 0 || !teethDepth ? -1 : teethDepth[t]));
    return { target, accum, cls, depth };
  };
  const { target, accum, cls, depth } = classes(false);
  const withoutPocket = classes(true).cls;
  let minY = Infinity, maxY = -Infinity;
  for (let p = 0; p < cls.length; p++) if (cls[p] >= 0) { const y = Math.floor(p / target.width); minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
  const middle = (minY + maxY) / 2;
  const lumaOf = new Float32Array(cls.length);
  let opening = 0, softN = 0, softLuma = 0, tongueN = 0, tongueLuma = 0, tongueSat = 0, lowerCrowns = 0, upperCrowns = 0, lowerShown = 0, lowerUncovered = 0, frontN = 0, frontLuma = 0, backN = 0, backLuma = 0, litPocket = 0, gumN = 0, gumSat = 0, gumLuma = 0;
  for (let p = 0; p < cls.length; p++) {
    if (withoutPocket[p] === LOWER) lowerUncovered++;
    if (cls[p] < 0) continue;
    opening++;
    const r = linearToSrgb8(accum[3 * p]), g = linearToSrgb8(accum[3 * p + 1]), b = linearToSrgb8(accum[3 * p + 2]);
    const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    lumaOf[p] = luma;
    const max = Math.max(r, g, b), saturation = max > 0 ? (max - Math.min(r, g, b)) / max : 0;
    const crown = saturation < CROWN_MAX_SATURATION && luma > CROWN_MIN_LUMA;
    if (cls[p] === POCKET || cls[p] === TONGUE) { softN++; softLuma += luma; }
    if (cls[p] === POCKET && luma > LIT_POCKET_LUMA) litPocket++;
    if (cls[p] === TONGUE) { tongueN++; tongueLuma += luma; tongueSat += saturation; }
    if (cls[p] === LOWER) { lowerShown++; if (crown && Math.floor(p / target.width) > middle) lowerCrowns++; }
    if (cls[p] === LOWER && saturation < CROWN_MAX_SATURATION) {
      if (depth[p] < FRONT_TEETH_DEPTH) { frontN++; frontLuma += luma; }
      if (depth[p] > BACK_TEETH_DEPTH) { backN++; backLuma += luma; }
    }
    if (cls[p] === LOWER && depth[p] > FRONT_TEETH_DEPTH && saturation >= CROWN_MAX_SATURATION) { gumN++; gumSat += saturation; gumLuma += luma; }
    if (cls[p] === UPPER && crown) upperCrowns++;
  }
  const perPixel = 1 / (SUPERSAMPLING * SUPERSAMPLING);
  const pocketRipple = rowRipple(lumaOf, (p) => cls[p] === POCKET, target.width, 2 * Math.floor(target.width / 128) + 1, Math.round(target.width / 25));
  return {
    opening: opening * perPixel,
    cavityLuma: softLuma / Math.max(1, softN),
    tonguePixels: tongueN * perPixel,
    tongueLuma: tongueLuma / Math.max(1, tongueN),
    tongueSaturation: tongueSat / Math.max(1, tongueN),
    lowerCrowns: lowerCrowns * perPixel,
    upperCrowns: upperCrowns * perPixel,
    lowerHiddenByPocket: Math.max(0, lowerUncovered - lowerShown) * perPixel,
    lowerFrontLuma: frontN > 0 ? frontLuma / frontN : 0,
    lowerBackLuma: backN > 0 ? backLuma / backN : 0,
    litPocket: litPocket * perPixel,
    pocketRipple,
    lowerBackGumPixels: gumN * perPixel,
    lowerBackGumSaturation: gumN > 0 ? gumSat / gumN : 0,
    lowerBackGumLuma: gumN > 0 ? gumLuma / gumN : 0,
  };
}
