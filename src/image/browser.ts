/**
 * Browser-only: turns DOM image sources into RgbaImage through a (Offscreen)canvas. Nothing here
 * runs at import time, so Node code may import the module without a DOM; calling it in Node throws.
 * Browsers apply EXIF orientation when decoding <img>/ImageBitmap ('from-image'), so pixels are upright.
 */
import { PhotoAvatarError } from '../errors.js';
import type { RgbaImage } from '../types.js';

export type BrowserImageSource = HTMLImageElement | ImageBitmap | HTMLCanvasElement | ImageData | Blob;

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function createContext(width: number, height: number): Context2D {
  if (typeof OffscreenCanvas !== 'undefined') {
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (context) return context;
  }
  if (typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context) return context;
  }
  throw new PhotoAvatarError('INVALID_ARGUMENT', 'imageFromBrowserSource needs a browser with canvas support.');
}

export async function imageFromBrowserSource(source: BrowserImageSource): Promise<RgbaImage> {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) {
    return { width: source.width, height: source.height, data: source.data };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(source, { imageOrientation: 'from-image' });
    } catch (error) {
      throw new PhotoAvatarError('NOT_AN_IMAGE', `The browser could not decode the ${source.type || 'untyped'} blob as an image.`, { cause: error });
    }
    try {
      return drawToImage(bitmap, bitmap.width, bitmap.height);
    } finally {
      bitmap.close();
    }
  }
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) {
    if (!source.complete) await source.decode();
    if (!source.naturalWidth) throw new PhotoAvatarError('NOT_AN_IMAGE', 'The <img> element has no decoded image.');
    return drawToImage(source, source.naturalWidth, source.naturalHeight);
  }
  const sized = source as ImageBitmap | HTMLCanvasElement;
  return drawToImage(sized, sized.width, sized.height);
}

function drawToImage(source: CanvasImageSource, width: number, height: number): RgbaImage {
  if (!width || !height) throw new PhotoAvatarError('NOT_AN_IMAGE', 'The image source is empty (0 pixels).');
  const context = createContext(width, height);
  // Transparent pixels come out over white, matching decodeImage.
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  context.drawImage(source, 0, 0, width, height);
  const pixels = context.getImageData(0, 0, width, height);
  return { width, height, data: pixels.data };
}
