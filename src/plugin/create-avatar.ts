/**
 * The plugin's front door: photo in, Babylon avatar out. Runs the engine-independent pipeline
 * (src/pipeline.ts) and builds the Babylon objects (build-avatar.ts).
 */
import type { Scene } from '@babylonjs/core/scene.js';
import type { RgbaImage } from '../types.js';
import { throwIfAborted } from '../errors.js';
import { createAvatarData, type CreateAvatarOptions } from '../pipeline.js';
import { buildAvatar } from './build-avatar.js';
import type { Avatar } from './avatar.js';

/** Anything a page or Node program typically holds a photo as. */
export type PhotoSource = RgbaImage | Blob | ImageBitmap | HTMLImageElement | HTMLCanvasElement | ImageData;

/** RgbaImage and DOM ImageData share one layout, so both pass straight through. */
function isRgbaImage(source: PhotoSource): source is RgbaImage {
  const candidate = source as Partial<RgbaImage>;
  return typeof candidate.width === 'number' && typeof candidate.height === 'number'
    && (candidate.data instanceof Uint8Array || candidate.data instanceof Uint8ClampedArray)
    && candidate.data.length === candidate.width * candidate.height * 4;
}

async function toRgbaImage(source: PhotoSource): Promise<RgbaImage> {
  if (isRgbaImage(source)) return source;
  const { imageFromBrowserSource } = await import('../image/browser.js');
  return imageFromBrowserSource(source as Exclude<PhotoSource, RgbaImage>);
}

/**
 * Creates a rigged, textured head from one face photo, or from several photos of the same person
 * (one shared head shape and texture; the avatar takes the first photo's expression), and adds it
 * to `scene`. Progress is reported per stage (load, detect, landmarks, fit, albedo, build); `signal` cancels.
 */
export async function createAvatarFromPhoto(scene: Scene, photo: PhotoSource | readonly PhotoSource[], options: CreateAvatarOptions = {}): Promise<Avatar> {
  const images = Array.isArray(photo)
    ? await Promise.all((photo as readonly PhotoSource[]).map(toRgbaImage))
    : await toRgbaImage(photo as PhotoSource);
  const data = await createAvatarData(images, options);
  throwIfAborted(options.signal);
  options.onProgress?.({ stage: 'build', progress: 0 });
  const start = performance.now();
  const avatar = buildAvatar(scene, data);
  data.timings.build = performance.now() - start;
  options.onProgress?.({ stage: 'build', progress: 1 });
  return avatar;
}
