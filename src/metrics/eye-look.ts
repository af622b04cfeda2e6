/**
 * How open and how bright an avatar's eyes read against the person's own (issue 9): the avatar is
 * rendered in the photo's frame (fitted camera, fitted expression, the SH light the albedo was
 * de-lit with: ./rerender.ts) and both images are measured the same way, per eye.
 *   - scleraOverIris: visible sclera area over visible iris area. Photo: pixels inside the MediaPipe
 *     eye loop, split by the Iris model's disc; avatar: eyeball pixels, split by the painted iris's
 *     radius in the eye texture.
 *   - irisOverWidth: the iris's diameter over the eye's width (corner to corner, 33-133 / 263-362),
 *     the photo's from the Iris model, the avatar's from the painted iris projected at the pivot.
 *   - scleraOverSkin: the sclera's upper-quartile linear luminance (SCLERA_QUANTILE) over the median
 *     of the cheek under the eye (a disc of one iris radius at MediaPipe 118 / 347). The sclera's
 *     brightest 10 % (catch-lights) are left out in the photo.
 *   - upperOverLower: the same quartile of the sclera above the iris centre over that below (how
 *     much the upper lid and lashes shade the eyeball).
 *   - scleraRedOverBlue: the median linear red over blue of the sclera's pixels (its warmth).
 *   - irisShown: the share of the iris disc the lids leave visible; irisShownAbove: that of its upper half.
 *   - irisOverSclera: the iris's median luminance (the ring at IRIS_RING of its radius, between the
 *     pupil and the limbal ring, as ../materials/iris-colour.ts reads it) over the sclera's quartile.
 *   - upperMarginOverSkin, lowerMarginOverSkin: the median luminance of the skin along the upper and
 *     the lower lid margin (outside the eye loop, within MARGIN_BAND of the iris radius: the lash
 *     line) over the cheek's. The avatar's band follows its own lid margins (its MediaPipe vertices
 *     projected) and takes head skin only: its lash cards are not rendered, so it measures the
 *     albedo's lash line, against the photo's lashes and lash line together.
 * bench/eye-look.ts prints them for the shared photos.
 */
import { linearLuminance, SRGB_TO_LINEAR } from '../image/srgb.js';
import { quantile } from '../math/quantile.js';
import { insideLandmarkLoop, LEFT_EYE_LOOP, LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_EYE_LOOP, RIGHT_LOWER_LID, RIGHT_UPPER_LID } from '../inference/face/mediapipe-regions.js';
import { EYEBALL_RADIUS, IRIS_RADIUS, IRIS_RADIUS_UV } from '../materials/eye-texture.js';
import { IRIS_RING, irisRadius } from '../materials/iris-colour.js';
import { renderInPhoto } from './rerender.js';
import { buildPreviewScene, MATERIAL_EYE, MATERIAL_SKIN } from '../render/preview.js';
import { projectToImage } from '../render/project.js';
import { createRasterTarget, rasterizeTriangles, surfaceAt, type SurfaceSample } from '../render/rasterize.js';
import type { AvatarData, RgbaImage } from '../types.js';

/** Subject's right eye (image left), then left: loop, iris offset in FaceObservation.iris, corners, cheek point. */
const EYES = [
  { loop: RIGHT_EYE_LOOP, upperLid: RIGHT_UPPER_LID, lowerLid: RIGHT_LOWER_LID, iris: 0, corners: [33, 133], cheek: 118 },
  { loop: LEFT_EYE_LOOP, upperLid: LEFT_UPPER_LID, lowerLid: LEFT_LOWER_LID, iris: 15, corners: [263, 362], cheek: 347 },
] as const;

export interface EyeFigures { scleraOverIris: number; irisOverWidth: number; scleraOverSkin: number; upperOverLower: number; scleraRedOverBlue: number; irisOverSclera: number; irisShown: number; irisShownAbove: number; upperMarginOverSkin: number; lowerMarginOverSkin: number }

/**
 * The lid-margin band: skin within this share of the iris radius outside the eye loop, along the
 * upper or lower lid (about 1.5 mm): where a photo's lash line lies (lash roots and their shadow).
 */
const MARGIN_BAND = 0.3;

/** Squared distance from (x, y) to the segment (ax, ay)-(bx, by). */
function segmentDistanceSquared(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay, length = dx * dx + dy * dy;
  const t = length > 0 ? Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / length)) : 0;
  return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2;
}

/** Distance from (x, y) to a lid's polyline between its corners (the corners' own segments left out: the canthi are not lash line). */
function lidDistance(points: ArrayLike<number>, lid: readonly number[], x: number, y: number): number {
  let best = Infinity;
  for (let k = 1; k + 2 < lid.length; k++) {
    const a = lid[k], b = lid[k + 1];
    best = Math.min(best, segmentDistanceSquared(x, y, points[3 * a], points[3 * a + 1], points[3 * b], points[3 * b + 1]));
  }
  return Math.sqrt(best);
}

/**
 * Median luminance of the upper and the lower lid-margin bands of one eye: pixels outside the eye
 * loop of `points` (MediaPipe points, xyz interleaved, image pixels) within MARGIN_BAND × radius of
 * the lid's polyline, each given to the nearer lid; `include` limits them (the avatar's skin).
 */
function lidMarginLuminance(image: RgbaImage, points: ArrayLike<number>, eye: (typeof EYES)[number], radius: number, include?: (p: number) => boolean): [number, number] {
  const reach = MARGIN_BAND * radius;
  const xs = eye.loop.map((i) => points[3 * i]), ys = eye.loop.map((i) => points[3 * i + 1]);
  const upper: number[] = [], lower: number[] = [];
  for (let y = Math.max(0, Math.floor(Math.min(...ys) - reach)); y <= Math.min(image.height - 1, Math.ceil(Math.max(...ys) + reach)); y++) {
    for (let x = Math.max(0, Math.floor(Math.min(...xs) - reach)); x <= Math.min(image.width - 1, Math.ceil(Math.max(...xs) + reach)); x++) {
      const p = y * image.width + x;
      if ((include && !include(p)) || insideLandmarkLoop(points as Float32Array, eye.loop, x, y)) continue;
      const toUpper = lidDistance(points, eye.upperLid, x, y), toLower = lidDistance(points, eye.lowerLid, x, y);
      if (Math.min(toUpper, toLower) > reach) continue;
      (toUpper < toLower ? upper : lower).push(luminanceAt(image, p));
    }
  }
  return [median(upper), median(lower)];
}

/** Linear red over blue of pixel p: how warm (pink, yellowed) a sclera is. */
function redOverBlue(image: RgbaImage, p: number): number {
  return SRGB_TO_LINEAR[image.data[4 * p]] / Math.max(1e-4, SRGB_TO_LINEAR[image.data[4 * p + 2]]);
}

function luminanceAt(image: RgbaImage, p: number): number {
  const d = image.data;
  return linearLuminance([SRGB_TO_LINEAR[d[4 * p]], SRGB_TO_LINEAR[d[4 * p + 1]], SRGB_TO_LINEAR[d[4 * p + 2]]]);
}

export const median = (values: number[]) => quantile(values, 0.5);
/**
 * The open sclera's brightness: the photo's eye loop runs along the lid margins, so its darker
 * pixels are lashes and lid, not sclera; the upper quartile is the sclera the lids leave open.
 */
const SCLERA_QUANTILE = 0.75;

/** Median luminance of the cheek disc (one iris radius) at a MediaPipe point; `covered` limits it to avatar pixels. */
function cheekLuminance(image: RgbaImage, x0: number, y0: number, radius: number, covered?: Uint8Array): number {
  const values: number[] = [];
  for (let y = Math.floor(y0 - radius); y <= Math.ceil(y0 + radius); y++) {
    for (let x = Math.floor(x0 - radius); x <= Math.ceil(x0 + radius); x++) {
      if (x < 0 || y < 0 || x >= image.width || y >= image.height || Math.hypot(x - x0, y - y0) > radius) continue;
      if (covered && !covered[y * image.width + x]) continue;
      values.push(luminanceAt(image, y * image.width + x));
    }
  }
  return median(values);
}

/** The photo's figures for one eye (EYES[side]). */
function photoEye(image: RgbaImage, data: AvatarData, eye: (typeof EYES)[number]): EyeFigures {
  const { landmarks468: lm, iris } = data.face;
  const cx = iris[eye.iris], cy = iris[eye.iris + 1];
  const radius = irisRadius(iris, eye.iris);
  const xs = eye.loop.map((i) => lm[3 * i]), ys = eye.loop.map((i) => lm[3 * i + 1]);
  let scleraArea = 0, irisArea = 0, irisAbove = 0;
  const sclera: number[] = [], upper: number[] = [], lower: number[] = [], warmth: number[] = [], irisRing: number[] = [];
  for (let y = Math.floor(Math.min(...ys)); y <= Math.ceil(Math.max(...ys)); y++) {
    for (let x = Math.floor(Math.min(...xs)); x <= Math.ceil(Math.max(...xs)); x++) {
      if (!insideLandmarkLoop(lm, eye.loop, x, y)) continue;
      const r = Math.hypot(x - cx, y - cy);
      if (r < radius) {
        irisArea++;
        if (y < cy) irisAbove++;
        if (r > IRIS_RING[0] * radius && r < IRIS_RING[1] * radius) irisRing.push(luminanceAt(image, y * image.width + x));
      } else {
        scleraArea++;
        // Away from the limbus's blur.
        if (r > 1.2 * radius) {
          const l = luminanceAt(image, y * image.width + x);
          sclera.push(l);
          warmth.push(redOverBlue(image, y * image.width + x));
          (y < cy ? upper : lower).push(l);
        }
      }
    }
  }
  const width = Math.hypot(lm[3 * eye.corners[0]] - lm[3 * eye.corners[1]], lm[3 * eye.corners[0] + 1] - lm[3 * eye.corners[1] + 1]);
  const skin = cheekLuminance(image, lm[3 * eye.cheek], lm[3 * eye.cheek + 1], radius);
  const [upperMargin, lowerMargin] = lidMarginLuminance(image, lm, eye, radius);
  return { upperMarginOverSkin: upperMargin / skin, lowerMarginOverSkin: lowerMargin / skin, scleraOverIris: scleraArea / irisArea, irisOverWidth: (2 * radius) / width, scleraOverSkin: quantile(sclera, SCLERA_QUANTILE, 0.1) / skin, upperOverLower: quantile(upper, SCLERA_QUANTILE, 0.1) / quantile(lower, SCLERA_QUANTILE, 0.1), scleraRedOverBlue: median(warmth), irisOverSclera: median(irisRing) / quantile(sclera, SCLERA_QUANTILE, 0.1), irisShown: irisArea / (Math.PI * radius * radius), irisShownAbove: irisAbove / (0.5 * Math.PI * radius * radius) };
}

/** The avatar's figures for both eyes (subject's right, left) from one render in the photo's frame. */
export function avatarEyeFigures(image: RgbaImage, data: AvatarData): EyeFigures[] {
  const scene = buildPreviewScene(data, data.expression);
  const { render, coverage } = renderInPhoto(data, image, { scene });
  const screen = projectToImage(scene.positions, data.camera);
  const target = createRasterTarget(image.width, image.height);
  rasterizeTriangles(target, screen, scene.indices, { cull: 'back' });
  const surface: SurfaceSample = { w0: 1, w1: 0, w2: 0, u: 0, v: 0, nx: 0, ny: 0, nz: 1 };
  const lm = data.face.landmarks468;
  const counts = EYES.map(() => ({ sclera: 0, iris: 0, irisAbove: 0, scleraLuminance: [] as number[], upper: [] as number[], lower: [] as number[], warmth: [] as number[], irisRing: [] as number[] }));
  const irisCentres = EYES.map((e) => [data.face.iris[e.iris], data.face.iris[e.iris + 1]]);
  for (let p = 0; p < image.width * image.height; p++) {
    const t = target.triangle[p];
    if (t < 0 || scene.triangleMaterial[t] !== MATERIAL_EYE) continue;
    surfaceAt(target, p, screen, scene.indices, scene.uvs, scene.normals, surface);
    const x = p % image.width, y = Math.floor(p / image.width);
    const side = Math.hypot(x - irisCentres[0][0], y - irisCentres[0][1]) < Math.hypot(x - irisCentres[1][0], y - irisCentres[1][1]) ? 0 : 1;
    const r = Math.hypot(surface.u - 0.5, surface.v - 0.5);
    if (r < IRIS_RADIUS_UV) {
      counts[side].iris++;
      if (surface.v > 0.5) counts[side].irisAbove++;
      if (r > IRIS_RING[0] * IRIS_RADIUS_UV && r < IRIS_RING[1] * IRIS_RADIUS_UV) counts[side].irisRing.push(luminanceAt(render, p));
    } else {
      counts[side].sclera++;
      if (r > 1.2 * IRIS_RADIUS_UV) {
        const l = luminanceAt(render, p);
        counts[side].scleraLuminance.push(l);
        counts[side].warmth.push(redOverBlue(render, p));
        (surface.v > 0.5 ? counts[side].upper : counts[side].lower).push(l);
      }
    }
  }
  const eyeParts = data.model.parts?.filter((part) => part.material === 'eye') ?? [];
  // The avatar's own lid margins: its MediaPipe points where the fitted head puts them.
  const avatarPoints = data.model.landmarks468 ? Float32Array.from({ length: 468 * 3 }, (_, k) => screen[3 * data.model.landmarks468![Math.floor(k / 3)] + (k % 3)]) : undefined;
  const onSkin = (p: number) => target.triangle[p] >= 0 && scene.triangleMaterial[target.triangle[p]] === MATERIAL_SKIN;
  return EYES.map((eye, side) => {
    // The painted iris's diameter in pixels at the eye's pivot (nearest part to this eye's iris in the photo).
    const pivots = eyeParts.map((part) => projectToImage(Float32Array.from(part.pivot), data.camera));
    const pivot = pivots.reduce((a, b) => (Math.hypot(a[0] - irisCentres[side][0], a[1] - irisCentres[side][1]) < Math.hypot(b[0] - irisCentres[side][0], b[1] - irisCentres[side][1]) ? a : b));
    const irisPixels = (2 * IRIS_RADIUS * data.camera.focal) / (pivot[2] - EYEBALL_RADIUS);
    const width = Math.hypot(lm[3 * eye.corners[0]] - lm[3 * eye.corners[1]], lm[3 * eye.corners[0] + 1] - lm[3 * eye.corners[1] + 1]);
    const photoRadius = Math.hypot(data.face.iris[eye.iris + 3] - irisCentres[side][0], data.face.iris[eye.iris + 4] - irisCentres[side][1]);
    const skin = cheekLuminance(render, lm[3 * eye.cheek], lm[3 * eye.cheek + 1], photoRadius, coverage.data);
    const [upperMargin, lowerMargin] = avatarPoints ? lidMarginLuminance(render, avatarPoints, eye, photoRadius, onSkin) : [NaN, NaN];
    return {
      upperMarginOverSkin: upperMargin / skin,
      lowerMarginOverSkin: lowerMargin / skin,
      scleraOverIris: counts[side].sclera / counts[side].iris,
      irisOverWidth: irisPixels / width,
      scleraOverSkin: quantile(counts[side].scleraLuminance, SCLERA_QUANTILE) / skin,
      upperOverLower: quantile(counts[side].upper, SCLERA_QUANTILE) / quantile(counts[side].lower, SCLERA_QUANTILE),
      scleraRedOverBlue: median(counts[side].warmth),
      irisOverSclera: median(counts[side].irisRing) / quantile(counts[side].scleraLuminance, SCLERA_QUANTILE),
      irisShown: counts[side].iris / (Math.PI * (irisPixels / 2) ** 2),
      irisShownAbove: counts[side].irisAbove / (0.5 * Math.PI * (irisPixels / 2) ** 2),
    };
  });
}

/** The photo's figures for both eyes (subject's right, left). */
export function photoEyeFigures(image: RgbaImage, data: AvatarData): EyeFigures[] {
  return EYES.map((eye) => photoEye(image, data, eye));
}

