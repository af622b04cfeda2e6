/**
 * The photo inputs the public API accepts, and their conversion to RgbaImage. Shared by the main
 * thread path (../plugin/create-avatar.ts) and the avatar worker (../worker/avatar-worker.ts), so
 * it must not import Babylon.
 */
import type { RgbaImage } from '../types.js';
// Static on purpose: a worker bundle with a dynamic import needs code splitting, which Vite's
// default worker format (iife) refuses. The module does nothing at import time, Node included.
import { imageFromBrowserSource } from './browser.js';

/** Anything a page or Node program typically holds a photo as. */
export type PhotoSource = RgbaImage | Blob | ImageBitmap | HTMLImageElement | HTMLCanvasElement | ImageData;

/** RgbaImage and DOM ImageData share one layout, so both pass straight through. */
export function isRgbaImage(source: PhotoSource): source is RgbaImage {
  const candidate = source as Partial<RgbaImage>;
  return typeof candidate.width === 'number' && typeof candidate.height === 'number'
    && (candidate.data instanceof Uint8Array || candidate.data instanceof Uint8ClampedArray)
    && candidate.data.length === candidate.width * candidate.height * 4;
}

export async function toRgbaImage(source: PhotoSource): Promise<RgbaImage> {
  if (isRgbaImage(source)) return source;
  return imageFromBrowserSource(source as Exclude<PhotoSource, RgbaImage>);
}
