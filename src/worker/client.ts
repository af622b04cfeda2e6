/**
 * The page's side of the avatar worker (./avatar-worker.ts): one module worker per page, started on
 * the first avatar and reused. Photos and options go in; progress, asset requests and the result
 * (transferred typed arrays) come back. Every way the worker can fail rejects the creation with a
 * PhotoAvatarError naming the cause: a worker that cannot start, a message that cannot be read,
 * and silence for longer than the timeout (the worker is then terminated and restarted next time).
 */
import { assetUrl, hasCustomAssetLoader, loadAsset } from '../assets.js';
import type { AvatarFileContents } from '../avatar-file/format.js';
import type { CompactGlbOptions } from '../export/compact-glb.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { isRgbaImage, type PhotoSource } from '../image/photo-source.js';
import { recordWorkerRuntime, runtimeOptions } from '../inference/runtime.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { isNode } from '../platform.js';
import type { CreateAvatarOptions } from '../pipeline.js';
import type { AvatarArrayOptions, AvatarArrays, HairArrays } from '../plugin/build-arrays.js';
import type { HairMesh, HairTone } from '../hair/hair-mesh.js';
import type { HairShapeFit, HairStyle } from '../hair/index.js';
import type { FaceTrackerOptions, TrackedFrame, TrackerCalibration } from '../tracking/face-tracker.js';
import type { AvatarData, RgbaImage } from '../types.js';
import type { ModelReference, PageMessage, PortableError, PortablePhoto, WorkerMessage } from './protocol.js';

/** Default for `workerTimeoutMs`: longer than a session's own timeout (120 s), whose error names more. */
export const DEFAULT_WORKER_TIMEOUT_MS = 180_000;

interface Pending {
  resolve(message: Extract<WorkerMessage, { type: 'done' }>): void;
  reject(error: PhotoAvatarError): void;
  onProgress?: CreateAvatarOptions['onProgress'];
  /** Restarts the silence timer. */
  heard(): void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();
/** Other requests waiting for the worker: a tracker's start, one frame, a calibration, an export, a hair fit, an .avatar read. */
const requests = new Map<number, { resolve(message: WorkerMessage): void; reject(error: PhotoAvatarError): void }>();
let nextTracker = 1;
/** The last error nothing in the worker caught, for the timeout message. */
let lastUncaught: string | null = null;
/** Decoded models the page received from the worker: the default head, and packs given as bytes. */
let defaultHead: HeadModel | null = null;
const packsFromBytes = new WeakMap<Uint8Array, HeadModel>();
/** The token under which a worker holds a model of the page's (protocol ModelReference). */
const modelTokens = new WeakMap<HeadModel, { worker: Worker; token: number }>();

/** Whether creation can run in a worker here: browsers with module workers (Node runs in-thread). */
export function workersAvailable(): boolean {
  return !isNode && typeof Worker !== 'undefined';
}

/** Where a browser runs an avatar's heavy work (exportCompactGLB, setHair, setHairColor, loadAvatar). */
export interface WorkerChoice {
  /** In the library's avatar worker (default where workers run); false: on the calling thread. */
  worker?: boolean;
  /** With the worker: milliseconds without an answer before the call rejects with RUNTIME_FAILURE (default 180000). */
  workerTimeoutMs?: number;
}

/**
 * `inWorker()` where the avatar worker runs and `choice.worker` is not false, else `here()`; also
 * `here()`, with a console warning naming `what`, when the worker fails (RUNTIME_FAILURE: it cannot
 * start, or stopped answering). Other errors are the work's own and reject as they are.
 */
export async function inWorkerOrHere<T>(choice: WorkerChoice, what: string, inWorker: () => Promise<T>, here: () => T | Promise<T>): Promise<T> {
  if (choice.worker !== false && workersAvailable()) {
    try {
      return await inWorker();
    } catch (error) {
      if (!(error instanceof PhotoAvatarError) || error.code !== 'RUNTIME_FAILURE') throw error;
      console.warn(`babylon-photo-avatar: ${what} on the main thread: ${error.message}`);
    }
  }
  return here();
}

const startHint = 'Pass { worker: false } to create on the main thread. Bundlers must keep `new Worker(new URL(\'./avatar-worker.js\', import.meta.url), { type: \'module\' })` '
  + '(webpack 5 and Vite production builds do; under Vite\'s dev server, try optimizeDeps.exclude: [\'babylon-photo-avatar\']).';

/** Rejects every creation under way and drops the worker, so the next creation starts a fresh one. */
function failAll(error: PhotoAvatarError): void {
  const failed = [...pending.values(), ...requests.values()];
  pending.clear();
  requests.clear();
  worker?.terminate();
  worker = null;
  for (const request of failed) request.reject(error);
}

/** Stops the avatar worker: creations under way reject with ABORTED; the next creation starts a new worker. */
export function terminateAvatarWorker(): void {
  failAll(new PhotoAvatarError('ABORTED', 'Avatar creation was cancelled: the avatar worker was terminated.'));
}

function onMessage(message: WorkerMessage): void {
  if (message.type === 'uncaught') {
    lastUncaught = message.message;
    return;
  }
  if (message.type === 'asset') {
    answerAsset(message.request, message.fileName);
    return;
  }
  const asked = requests.get(message.id);
  if (asked) {
    requests.delete(message.id);
    if (message.type === 'failed') asked.reject(new PhotoAvatarError(message.error.code, message.error.message));
    else asked.resolve(message);
    return;
  }
  // Only a creation's messages go on; an answer to a request no longer waiting reaches no one.
  if (message.type !== 'progress' && message.type !== 'done' && message.type !== 'failed') return;
  const request = pending.get(message.id);
  if (!request) return; // cancelled or timed out already
  request.heard();
  if (message.type === 'progress') request.onProgress?.(message.event);
  else {
    pending.delete(message.id);
    if (message.type === 'done') request.resolve(message);
    else request.reject(new PhotoAvatarError(message.error.code, message.error.message));
  }
}

function answerAsset(request: number, fileName: string): void {
  for (const waiting of pending.values()) waiting.heard();
  loadAsset(fileName).then(
    (bytes) => worker?.postMessage({ type: 'asset', request, bytes } satisfies PageMessage),
    (error: unknown) => {
      const reply: PortableError = error instanceof PhotoAvatarError ? { code: error.code, message: error.message }
        : { code: 'MISSING_ASSET', message: `Could not load asset ${fileName}: ${error instanceof Error ? error.message : String(error)}` };
      worker?.postMessage({ type: 'asset', request, error: reply } satisfies PageMessage);
    },
  );
}

function startWorker(): Worker {
  let created: Worker;
  try {
    // The one form webpack 5 and Vite both turn into a worker chunk of their own: keep it literal.
    created = new Worker(new URL('./avatar-worker.js', import.meta.url), { type: 'module', name: 'babylon-photo-avatar' });
  } catch (error) {
    throw new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker could not be created: ${error instanceof Error ? error.message : String(error)}. ${startHint}`, { cause: error });
  }
  lastUncaught = null;
  created.addEventListener('message', (event: MessageEvent<WorkerMessage>) => onMessage(event.data));
  // Errors the worker's own handler lets through: its script failed to load or to evaluate.
  created.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    const detail = event.message ? `: ${event.message}${event.filename ? ` (${event.filename}:${event.lineno})` : ''}` : ' (its script failed to load or to run)';
    failAll(new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker failed${detail}. ${startHint}`));
  });
  created.addEventListener('messageerror', () => {
    failAll(new PhotoAvatarError('RUNTIME_FAILURE', 'A message from the avatar worker could not be read (structured clone failed); the worker was restarted.'));
  });
  return created;
}

/** DOM elements cannot cross to a worker: they become bitmaps here (the browser decodes off-thread). */
async function portablePhoto(source: PhotoSource, transfer: Transferable[]): Promise<PortablePhoto> {
  if (isRgbaImage(source)) return { width: source.width, height: source.height, data: source.data };
  if (source instanceof Blob || (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap)) return source;
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) {
    if (!source.complete) await source.decode();
    if (!source.naturalWidth) throw new PhotoAvatarError('NOT_AN_IMAGE', 'The <img> element has no decoded image.');
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source as HTMLImageElement | HTMLCanvasElement);
  } catch (error) {
    throw new PhotoAvatarError('NOT_AN_IMAGE', `The photo could not be read into a bitmap: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  transfer.push(bitmap);
  return bitmap;
}

/** The decoded model the page already holds for these options, if any (the worker then sends none back). */
function modelOnPage(model: CreateAvatarOptions['model']): HeadModel | null {
  if (model instanceof Uint8Array) return packsFromBytes.get(model) ?? null;
  return model ?? defaultHead;
}

function keepModel(model: CreateAvatarOptions['model'], decoded: HeadModel): void {
  if (model instanceof Uint8Array) packsFromBytes.set(model, decoded);
  else if (!model) defaultHead = decoded;
}

/**
 * createAvatarData (../pipeline.ts) in the avatar worker: the same AvatarData, with `timings.worker`
 * (ms from sending the photos to receiving the result, on the page's clock) beside the worker's
 * own stage timings; with `buildArrays`, also what buildAvatar needs (`timings['build.arrays']`).
 */
export async function createAvatarDataInWorker(
  photos: readonly PhotoSource[],
  several: boolean,
  options: CreateAvatarOptions & { workerTimeoutMs?: number },
  buildArrays: AvatarArrayOptions | null = null,
): Promise<{ data: AvatarData; arrays?: AvatarArrays }> {
  const { onProgress, signal, workerTimeoutMs, ...portableOptions } = options;
  delete (portableOptions as { worker?: unknown }).worker;
  throwIfAborted(signal);
  const start = performance.now();
  const transfer: Transferable[] = [];
  const portablePhotos = await Promise.all(photos.map((photo) => portablePhoto(photo, transfer)));
  throwIfAborted(signal);
  // A given shape makes a new model per call; otherwise the page keeps what the worker decoded.
  const known = options.shape ? null : modelOnPage(options.model);
  const runtime = runtimeOptions();
  const id = nextId++;
  const message: PageMessage = {
    type: 'create',
    id,
    photos: portablePhotos,
    several,
    options: portableOptions,
    returnModel: !known,
    buildArrays,
    runtime,
    assetBaseUrl: assetUrl(''),
    assetsFromPage: hasCustomAssetLoader(),
  };
  const timeoutMs = workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS;

  const done = await new Promise<Extract<WorkerMessage, { type: 'done' }>>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      finish();
      worker?.postMessage({ type: 'abort', id } satisfies PageMessage);
      reject(new PhotoAvatarError('ABORTED', 'Avatar creation was cancelled.'));
    };
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      pending.delete(id);
    };
    const request: Pending = {
      resolve: (reply) => { finish(); resolve(reply); },
      reject: (error) => { finish(); reject(error); },
      onProgress,
      heard: () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          failAll(new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker sent nothing for ${Math.round(timeoutMs / 1000)} s and was terminated`
            + `${lastUncaught ? `; its last uncaught error: ${lastUncaught}` : ''}. Raise workerTimeoutMs for very slow devices.`));
        }, timeoutMs);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      worker ??= startWorker();
      pending.set(id, request);
      request.heard();
      worker.postMessage(message, transfer);
    } catch (error) {
      finish();
      reject(error instanceof PhotoAvatarError ? error
        : new PhotoAvatarError('INVALID_ARGUMENT', `The photos or options cannot be sent to the avatar worker: ${error instanceof Error ? error.message : String(error)}. ${startHint}`, { cause: error }));
    }
  });

  // With a given shape the worker always sends its model (the pack's, with that shape).
  recordWorkerRuntime(done.runtime);
  if (done.model && !options.shape) keepModel(options.model, done.model);
  const data: AvatarData = { ...done.data, model: done.model ?? known! };
  if (worker) modelTokens.set(data.model, { worker, token: done.modelToken });
  data.timings.worker = performance.now() - start;
  return { data, ...(done.arrays ? { arrays: done.arrays } : {}) };
}

/** Sends one message other than a creation and waits for its answer, the worker's failure, or `timeoutMs` of silence. */
function askWorker(message: Extract<PageMessage, { type: 'track-start' | 'track-frame' | 'track-calibrate' | 'export-compact' | 'hair-mesh' | 'read-avatar' }>, transfer: Transferable[], timeoutMs: number): Promise<WorkerMessage> {
  const doing = message.type === 'export-compact' ? 'exporting' : message.type === 'hair-mesh' ? 'fitting hair' : message.type === 'read-avatar' ? 'reading an .avatar file' : 'tracking';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      failAll(new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker sent nothing for ${Math.round(timeoutMs / 1000)} s while ${doing} and was terminated`
        + `${lastUncaught ? `; its last uncaught error: ${lastUncaught}` : ''}.`));
    }, timeoutMs);
    requests.set(message.id, {
      resolve: (reply) => { clearTimeout(timer); resolve(reply); },
      reject: (error) => { clearTimeout(timer); reject(error); },
    });
    try {
      worker ??= startWorker();
      worker.postMessage(message, transfer);
    } catch (error) {
      clearTimeout(timer);
      requests.delete(message.id);
      reject(error instanceof PhotoAvatarError ? error
        : new PhotoAvatarError('INVALID_ARGUMENT', `The avatar or frame cannot be sent to the avatar worker: ${error instanceof Error ? error.message : String(error)}.`, { cause: error }));
    }
  });
}

/**
 * Sends a message that needs `model` in the worker (protocol ModelReference): by token where this
 * worker holds it, else the model itself, and again so when the worker answers 'model-missing'.
 */
async function askWithModel(model: HeadModel, message: (reference: ModelReference) => Extract<PageMessage, { type: 'export-compact' | 'hair-mesh' | 'read-avatar' }>, timeoutMs: number): Promise<WorkerMessage> {
  const ask = (withModel: boolean) => {
    const held = modelTokens.get(model);
    const byToken = !withModel && held !== undefined && held.worker === worker;
    return askWorker(message(byToken ? { model: null, modelToken: held.token } : { model, modelToken: null }), [], timeoutMs);
  };
  let reply = await ask(false);
  if (reply.type === 'model-missing') reply = await ask(true);
  if ('modelToken' in reply && worker) modelTokens.set(model, { worker, token: reply.modelToken });
  return reply;
}

/**
 * writeCompactGlb (../export/compact-glb.ts) in the avatar worker: the same bytes, with the page's
 * main thread only cloning the avatar's arrays into the message. The model is sent the first time
 * only; after that the worker holds it (and its per-model caches) under a token.
 */
export async function writeCompactGlbInWorker(data: AvatarData, options: CompactGlbOptions = {}, timeoutMs = DEFAULT_WORKER_TIMEOUT_MS): Promise<Uint8Array> {
  const { model, ...rest } = data;
  const reply = await askWithModel(model, (reference) => ({ type: 'export-compact', id: nextId++, data: rest, options, ...reference }), timeoutMs);
  if (reply.type !== 'exported') throw new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker answered an export with '${reply.type}'.`);
  return reply.bytes;
}

/** hairMeshFor (../hair/index.ts) and the hair's vertex data (hairArrays) in the avatar worker, the model sent as for writeCompactGlbInWorker. */
export async function hairMeshInWorker(style: HairStyle, model: HeadModel, neutralVertices: Float32Array, tone: HairTone, fit: HairShapeFit, timeoutMs = DEFAULT_WORKER_TIMEOUT_MS): Promise<{ mesh: HairMesh; arrays: HairArrays }> {
  const reply = await askWithModel(model, (reference) => ({ type: 'hair-mesh', id: nextId++, style, neutralVertices, tone, fit, ...reference }), timeoutMs);
  if (reply.type !== 'hair-made') throw new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker answered a hair request with '${reply.type}'.`);
  return { mesh: reply.mesh, arrays: reply.arrays };
}

/**
 * readAvatarFileContents (../avatar-file/format.ts) and the build arrays (prepareAvatarArrays) in the
 * avatar worker, with `model` (the one the file names, resolved by the page), sent as for
 * writeCompactGlbInWorker. The bytes are copied, not transferred: they stay the caller's.
 */
export async function readAvatarFileInWorker(bytes: Uint8Array, model: HeadModel, buildArrays: AvatarArrayOptions, timeoutMs = DEFAULT_WORKER_TIMEOUT_MS): Promise<{ contents: Pick<AvatarFileContents, 'data' | 'material'>; arrays: AvatarArrays }> {
  const reply = await askWithModel(model, (reference) => ({ type: 'read-avatar', id: nextId++, bytes, buildArrays, ...reference }), timeoutMs);
  if (reply.type !== 'avatar-read') throw new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker answered an .avatar read with '${reply.type}'.`);
  return { contents: { data: { ...reply.data, model }, material: reply.material }, arrays: reply.arrays };
}

/**
 * FaceTracker (../tracking/face-tracker.ts) in the avatar worker: the face models and the solve run
 * there, frames go in with their pixels transferred, tracked frames come back transferred.
 */
export class WorkerFaceTracker {
  private constructor(
    private readonly tracker: number,
    private readonly timeoutMs: number,
  ) {}

  /** Starts a tracker for `data` in the worker (the avatar's data is copied there once). */
  static async create(data: AvatarData, options: FaceTrackerOptions & { workerTimeoutMs?: number } = {}): Promise<WorkerFaceTracker> {
    const { workerTimeoutMs, ...trackerOptions } = options;
    const timeoutMs = workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS;
    const tracker = nextTracker++;
    await askWorker({
      type: 'track-start', id: nextId++, tracker, data, options: trackerOptions,
      runtime: runtimeOptions(), assetBaseUrl: assetUrl(''), assetsFromPage: hasCustomAssetLoader(),
    }, [], timeoutMs);
    return new WorkerFaceTracker(tracker, timeoutMs);
  }

  /** FaceTracker.track in the worker. The image's pixel buffer is transferred: the caller loses it. */
  async track(image: RgbaImage, timeSeconds: number): Promise<TrackedFrame | null> {
    const reply = await askWorker({ type: 'track-frame', id: nextId++, tracker: this.tracker, image, timeSeconds }, [image.data.buffer as ArrayBuffer], this.timeoutMs);
    return reply.type === 'tracked' ? reply.frame : null;
  }

  /** FaceTracker.calibrate in the worker, on a neutral frame of the person facing the camera. The image's pixel buffer is transferred. */
  async calibrate(image: RgbaImage): Promise<TrackerCalibration> {
    const reply = await askWorker({ type: 'track-calibrate', id: nextId++, tracker: this.tracker, image }, [image.data.buffer as ArrayBuffer], this.timeoutMs);
    if (reply.type !== 'track-calibrated') throw new PhotoAvatarError('RUNTIME_FAILURE', `The avatar worker answered a calibration with '${reply.type}'.`);
    return reply.calibration;
  }

  /** Frees the worker's tracker (the worker and its face models stay for other avatars). */
  stop(): void {
    worker?.postMessage({ type: 'track-stop', tracker: this.tracker } satisfies PageMessage);
  }
}
