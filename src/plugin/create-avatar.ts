/**
 * The plugin's front door: photo in, Babylon avatar out. Runs the engine-independent pipeline
 * (src/pipeline.ts) in the library's avatar worker where browsers have workers (../worker/), else
 * on this thread, and builds the Babylon objects here (build-avatar.ts).
 */
import type { Scene } from '@babylonjs/core/scene.js';
import { throwIfAborted } from '../errors.js';
import { toRgbaImage, type PhotoSource } from '../image/photo-source.js';
import { createAvatarData, type CreateAvatarOptions } from '../pipeline.js';
import { createAvatarDataInWorker, workersAvailable } from '../worker/client.js';
import type { AvatarData } from '../types.js';
import { prepareAvatarArrays, type AvatarArrays } from './build-arrays.js';
import { buildAvatarInSlices, type BuildAvatarOptions } from './build-avatar.js';
import type { Avatar } from './avatar.js';

export type { PhotoSource } from '../image/photo-source.js';

/** Name of the performance measure createAvatarFromPhoto records for each Babylon build. */
export const BUILD_MEASURE = 'babylon-photo-avatar build';

export interface PhotoAvatarOptions extends CreateAvatarOptions {
  /**
   * Decode the photos and run face analysis, fitting and albedo in the library's module Web Worker,
   * so the page keeps rendering (default: true where `Worker` exists, i.e. browsers). false runs
   * them on this thread, like createAvatarData.
   */
  worker?: boolean;
  /**
   * With the worker: milliseconds without any message from it (progress counts) before the
   * creation rejects with RUNTIME_FAILURE and the worker is terminated. Default 180000.
   */
  workerTimeoutMs?: number;
  /** The skin's subsurface shading (BuildAvatarOptions.subsurface): 'translucency' (default), 'scattering' or 'off'. */
  subsurface?: BuildAvatarOptions['subsurface'];
}

/**
 * Creates a rigged, textured head from one face photo, or from several photos of the same person
 * (one shared head shape and texture; the avatar takes the first photo's expression), and adds it
 * to `scene`. Progress is reported per stage (load, detect, landmarks, fit, albedo, build); `signal` cancels.
 */
export async function createAvatarFromPhoto(scene: Scene, photo: PhotoSource | readonly PhotoSource[], options: PhotoAvatarOptions = {}): Promise<Avatar> {
  const several = Array.isArray(photo);
  const photos = several ? photo as readonly PhotoSource[] : [photo as PhotoSource];
  let data: AvatarData;
  // With the worker, the build's arithmetic runs there too: here only Babylon objects are made.
  let arrays: AvatarArrays | undefined;
  if ((options.worker ?? true) && workersAvailable()) {
    ({ data, arrays } = await createAvatarDataInWorker(photos, several, options, {}));
  } else {
    const images = await Promise.all(photos.map(toRgbaImage));
    data = await createAvatarData(several ? images : images[0], options);
  }
  throwIfAborted(options.signal);
  options.onProgress?.({ stage: 'build', progress: 0 });
  const start = performance.now();
  // In short tasks (build-avatar.ts), so a page that renders while the avatar is made keeps its frames.
  const { avatar, report } = await buildAvatarInSlices(scene, data, arrays ?? prepareAvatarArrays(data), { signal: options.signal, subsurface: options.subsurface });
  data.timings.build = performance.now() - start;
  // On the page's performance timeline (DevTools, benches): which long tasks were the build's. Only
  // the last build is kept, so a long-lived page making many avatars does not pile them up.
  performance.clearMeasures?.(BUILD_MEASURE);
  performance.measure?.(BUILD_MEASURE, { start, end: start + data.timings.build });
  data.timings['build.work'] = report.workMs;
  data.timings['build.longestStep'] = report.longestStepMs;
  data.timings['build.longestSlice'] = report.longestSliceMs;
  options.onProgress?.({ stage: 'build', progress: 1 });
  return avatar;
}
