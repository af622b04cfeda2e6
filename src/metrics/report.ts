/**
 * Fit-quality figures for reports and tests, and the overlay image (avatar re-rendered over the photo).
 *
 * Region: the photo's skin mask (analyzer.skinMask) intersected with the pixels the avatar's head
 * covers. PSNR/SSIM compare the photo with the re-render composited over the photo, so SSIM windows
 * at the region's edge see photo on both sides (see photometric.ts).
 * Identity: HSE FaceRes cosine between the photo and the re-render, both restricted to the rendered
 * region on grey (no shared hair or background inflates it), same crop for both (identity.ts).
 */
import { PhotoAvatarError } from '../errors.js';
import type { AvatarData, Mask, RgbaImage } from '../types.js';
import { cosineSimilarity, embedFace, faceCropFor, IDENTITY_MODEL_LABEL, identityModelAvailable } from './identity.js';
import { maskedPsnr, maskedSsim } from './photometric.js';
import { compositeOverPhoto, renderInPhoto } from './rerender.js';

export interface FitQualityMetrics {
  /** dB, peak 255, RGB over the compared region. */
  psnr: number;
  /** Mean SSIM on BT.601 luma (11x11 Gaussian, sigma 1.5) over the compared region. */
  ssim: number;
  /**
   * Cosine of identity embeddings, photo vs re-render (see identityModel). NaN when the embedding
   * model is not installed (the published package leaves it out); identityModel then says so.
   */
  identityCosine: number;
  identityModel: string;
  /** Pixels in the compared region (skin mask ∩ rendered head). */
  renderedPixels: number;
  /** Milliseconds: render, photometric, identity, total. */
  timings: Record<string, number>;
}

/** Why identityCosine can be missing: the note the report carries instead of the model label. */
const IDENTITY_MODEL_SKIPPED = 'face-embedding.onnx (HSE FaceRes, trained on research data) is not in the published package; ' +
  'build from the repository (`npm run build`) to get the identity metric';

/** A skin mask counts a pixel as skin from this value on (0..255). */
const SKIN_THRESHOLD = 128;

/** Skin mask ∩ avatar coverage, at the photo's size (the skin mask may have any size; nearest sample). */
export function comparedRegion(coverage: Mask, skinMask: Mask): Mask {
  const { width, height } = coverage;
  const out = new Uint8Array(width * height);
  const sx = skinMask.width / width, sy = skinMask.height / height;
  for (let y = 0; y < height; y++) {
    const my = Math.min(skinMask.height - 1, Math.floor((y + 0.5) * sy));
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (coverage.data[p] === 0) continue;
      const mx = Math.min(skinMask.width - 1, Math.floor((x + 0.5) * sx));
      if (skinMask.data[my * skinMask.width + mx] >= SKIN_THRESHOLD) out[p] = 255;
    }
  }
  return { width, height, data: out };
}

export async function computeFitMetrics(image: RgbaImage, data: AvatarData, skinMask: Mask): Promise<FitQualityMetrics> {
  if (!(skinMask.width > 0 && skinMask.height > 0) || skinMask.data.length < skinMask.width * skinMask.height) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'The skin mask must hold width * height bytes.');
  }
  const timings: Record<string, number> = {};
  const start = performance.now();
  let clock = start;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - clock;
    clock = now;
  };

  const { render, coverage } = renderInPhoto(data, image);
  const composite = compositeOverPhoto(image, render, 1);
  lap('render');

  const region = comparedRegion(coverage, skinMask);
  let renderedPixels = 0;
  for (let p = 0; p < region.data.length; p++) if (region.data[p] > 0) renderedPixels++;
  const psnr = maskedPsnr(image, composite, region);
  const ssim = maskedSsim(image, composite, region);
  lap('photometric');

  let identityCosine = Number.NaN;
  let identityModel = `skipped: ${IDENTITY_MODEL_SKIPPED}`;
  if (await identityModelAvailable()) {
    const crop = faceCropFor(data.face);
    const photoEmbedding = await embedFace(image, crop, coverage);
    const renderEmbedding = await embedFace(render, crop, coverage);
    identityCosine = cosineSimilarity(photoEmbedding, renderEmbedding);
    identityModel = IDENTITY_MODEL_LABEL;
  }
  lap('identity');
  timings.total = performance.now() - start;
  return { psnr, ssim, identityCosine, identityModel, renderedPixels, timings };
}

/** Outline colour of the overlay (sRGB): cyan stands out against skin, hair and most backgrounds. */
const OUTLINE: [number, number, number] = [0, 230, 255];

/**
 * The avatar re-rendered over the photo at full opacity, with an outline (1 px per 512 px of photo
 * width) around the rendered head so the fitted silhouette can be judged against the real one.
 * Same size as the photo.
 */
export function renderOverlay(image: RgbaImage, data: AvatarData): RgbaImage {
  const { render, coverage } = renderInPhoto(data, image);
  const out = compositeOverPhoto(image, render, 1);
  const { width, height } = image;
  const inside = coverage.data;
  const thickness = Math.max(1, Math.round(width / 512));
  const uncovered = (x: number, y: number) => x < 0 || y < 0 || x >= width || y >= height || inside[y * width + x] === 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (inside[p] === 0) continue;
      let edge = false;
      for (let d = 1; d <= thickness && !edge; d++) edge = uncovered(x - d, y) || uncovered(x + d, y) || uncovered(x, y - d) || uncovered(x, y + d);
      if (!edge) continue;
      out.data[4 * p] = OUTLINE[0]; out.data[4 * p + 1] = OUTLINE[1]; out.data[4 * p + 2] = OUTLINE[2];
    }
  }
  return out;
}
