/**
 * The avatar worker (a module Web Worker started by ./client.ts): decodes the photos and runs the
 * whole engine-independent pipeline (../pipeline.ts: face analysis, fitting, albedo) off the page's
 * main thread. One worker serves every avatar of the page, so its onnxruntime sessions and decoded
 * model pack are made once. Results go back in freshly copied, transferred buffers. It also writes
 * compact GLBs (Avatar.exportCompactGLB: meshopt, WebP and levels of detail are most of a second
 * in a browser), fits hair styles (Avatar.setHair) and reads .avatar files (loadAvatar) for the page.
 */
import { setAssetBaseUrl, setAssetLoader } from '../assets.js';
import { readAvatarFileContents } from '../avatar-file/format.js';
import { PhotoAvatarError } from '../errors.js';
import { toRgbaImage } from '../image/photo-source.js';
import { writeCompactGlb } from '../export/compact-glb.js';
import { configureRuntime, runtimeInfo } from '../inference/runtime.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { createAvatarData } from '../pipeline.js';
import { hairArrays, prepareAvatarArrays } from '../plugin/build-arrays.js';
import { hairMeshFor } from '../hair/index.js';
import { FaceTracker } from '../tracking/face-tracker.js';
import type { PageMessage, PortableError, WorkerMessage } from './protocol.js';
import { copyForTransfer } from './transfer.js';

/** The parts of DedicatedWorkerGlobalScope used here (the project compiles against the DOM lib). */
interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageMessage>) => void): void;
  addEventListener(type: 'messageerror', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const running = new Map<number, AbortController>();
/** Live trackers by the page's tracker number (their onnxruntime sessions are the shared face analyzer's). */
const trackers = new Map<number, Promise<FaceTracker>>();
const assetRequests = new Map<number, { resolve(bytes: Uint8Array): void; reject(error: unknown): void }>();
let nextAssetRequest = 1;
/** How assets are found now: a URL folder, or 'page' (the application's own loader, on the page). */
let assetSource: string | null = null;

/**
 * Models the page can name by token instead of sending them (a decoded pack is tens of MB, and the
 * worker's per-model caches are keyed by the model object): the last MODELS_HELD used, so models
 * made per call (a given `shape`) do not pile up.
 */
const MODELS_HELD = 4;
const heldModels = new Map<number, HeadModel>();
const modelTokens = new WeakMap<HeadModel, number>();
let nextModelToken = 1;

/** The model's token, now the most recently used of the held models. */
function holdModel(model: HeadModel): number {
  const token = modelTokens.get(model) ?? nextModelToken++;
  modelTokens.set(model, token);
  heldModels.delete(token);
  heldModels.set(token, model);
  for (const oldest of heldModels.keys()) {
    if (heldModels.size <= MODELS_HELD) break;
    heldModels.delete(oldest);
  }
  return token;
}

function portableError(error: unknown): PortableError {
  if (error instanceof PhotoAvatarError) return { code: error.code, message: error.message };
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: 'RUNTIME_FAILURE', message: `The avatar worker failed: ${text}` };
}

function askPage(fileName: string): Promise<Uint8Array> {
  const request = nextAssetRequest++;
  return new Promise((resolve, reject) => {
    assetRequests.set(request, { resolve, reject });
    scope.postMessage({ type: 'asset', request, fileName });
  });
}

/** Asset URLs relative to the page mean nothing here: the page sends an absolute folder. */
function useAssetSource(baseUrl: string, fromPage: boolean): void {
  const wanted = `${fromPage ? 'page' : 'url'} ${baseUrl}`;
  if (wanted === assetSource) return;
  assetSource = wanted;
  setAssetBaseUrl(baseUrl);
  setAssetLoader(fromPage ? askPage : null);
}

async function create(message: Extract<PageMessage, { type: 'create' }>): Promise<void> {
  const { id } = message;
  const controller = new AbortController();
  running.set(id, controller);
  try {
    configureRuntime(message.runtime);
    useAssetSource(message.assetBaseUrl, message.assetsFromPage);
    const decodeStart = performance.now();
    const images = await Promise.all(message.photos.map(async (photo) => {
      try {
        return await toRgbaImage(photo);
      } finally {
        if (typeof ImageBitmap !== 'undefined' && photo instanceof ImageBitmap) photo.close();
      }
    }));
    const decodeMs = performance.now() - decodeStart;
    const data = await createAvatarData(message.several ? images : images[0], {
      ...message.options,
      signal: controller.signal,
      onProgress: (event) => scope.postMessage({ type: 'progress', id, event }),
    });
    data.timings.decode = decodeMs;
    let arrays;
    if (message.buildArrays) {
      const start = performance.now();
      arrays = prepareAvatarArrays(data, message.buildArrays);
      data.timings['build.arrays'] = performance.now() - start;
    }
    const { model, ...rest } = data;
    const transfer: ArrayBuffer[] = [];
    const reply: WorkerMessage = {
      type: 'done',
      id,
      data: copyForTransfer(rest, transfer),
      ...(message.returnModel ? { model: copyForTransfer(model, transfer) } : {}),
      modelToken: holdModel(model),
      ...(arrays ? { arrays: copyForTransfer(arrays, transfer) } : {}),
      runtime: runtimeInfo(),
    };
    scope.postMessage(reply, transfer);
  } catch (error) {
    scope.postMessage({ type: 'failed', id, error: portableError(error) });
  } finally {
    running.delete(id);
  }
}

/** The model a message names (ModelReference), or null after telling the page to send it. */
function referencedModel(message: Extract<PageMessage, { type: 'export-compact' | 'hair-mesh' | 'read-avatar' }>): HeadModel | null {
  const model = message.model ?? heldModels.get(message.modelToken!) ?? null;
  if (!model) scope.postMessage({ type: 'model-missing', id: message.id });
  return model;
}

/**
 * Answers a message that names a model: `work` with that model gives the reply and the buffers to
 * transfer; an error becomes 'failed'. Nothing is posted here when the model is missing (the page
 * resends it).
 */
async function answerWithModel(message: Extract<PageMessage, { type: 'export-compact' | 'hair-mesh' | 'read-avatar' }>, work: (model: HeadModel) => Promise<[WorkerMessage, ArrayBuffer[]]>): Promise<void> {
  try {
    const model = referencedModel(message);
    if (!model) return;
    const [reply, transfer] = await work(model);
    scope.postMessage(reply, transfer);
  } catch (error) {
    scope.postMessage({ type: 'failed', id: message.id, error: portableError(error) });
  }
}

function exportCompact(message: Extract<PageMessage, { type: 'export-compact' }>): Promise<void> {
  return answerWithModel(message, async (model) => {
    const bytes = await writeCompactGlb({ ...message.data, model }, message.options);
    return [{ type: 'exported', id: message.id, bytes, modelToken: holdModel(model) }, [bytes.buffer as ArrayBuffer]];
  });
}

function readAvatar(message: Extract<PageMessage, { type: 'read-avatar' }>): Promise<void> {
  return answerWithModel(message, async (model) => {
    const { data, material } = await readAvatarFileContents(message.bytes, async () => model);
    const arrays = prepareAvatarArrays(data, message.buildArrays);
    const { model: _model, ...rest } = data;
    const transfer: ArrayBuffer[] = [];
    return [{ type: 'avatar-read', id: message.id, data: copyForTransfer(rest, transfer), material, arrays: copyForTransfer(arrays, transfer), modelToken: holdModel(model) }, transfer];
  });
}

function makeHair(message: Extract<PageMessage, { type: 'hair-mesh' }>): Promise<void> {
  return answerWithModel(message, async (model) => {
    const mesh = await hairMeshFor(message.style, model, message.neutralVertices, message.tone, message.fit);
    const transfer: ArrayBuffer[] = [];
    return [{ type: 'hair-made', id: message.id, mesh: copyForTransfer(mesh, transfer), arrays: copyForTransfer(hairArrays(mesh, model, message.neutralVertices), transfer), modelToken: holdModel(model) }, transfer];
  });
}

async function startTracker(message: Extract<PageMessage, { type: 'track-start' }>): Promise<void> {
  configureRuntime(message.runtime);
  useAssetSource(message.assetBaseUrl, message.assetsFromPage);
  const tracker = FaceTracker.create(message.data, message.options);
  trackers.set(message.tracker, tracker);
  try {
    await tracker;
    scope.postMessage({ type: 'track-ready', id: message.id });
  } catch (error) {
    trackers.delete(message.tracker);
    scope.postMessage({ type: 'failed', id: message.id, error: portableError(error) });
  }
}

function startedTracker(tracker: number): Promise<FaceTracker> {
  const started = trackers.get(tracker);
  if (!started) throw new PhotoAvatarError('INVALID_ARGUMENT', `No live tracker ${tracker} in the avatar worker (stopped?).`);
  return started;
}

async function trackFrame(message: Extract<PageMessage, { type: 'track-frame' }>): Promise<void> {
  try {
    const frame = await (await startedTracker(message.tracker)).track(message.image, message.timeSeconds);
    const transfer: ArrayBuffer[] = [];
    scope.postMessage({ type: 'tracked', id: message.id, frame: frame && copyForTransfer(frame, transfer) }, transfer);
  } catch (error) {
    scope.postMessage({ type: 'failed', id: message.id, error: portableError(error) });
  }
}

async function calibrateTracker(message: Extract<PageMessage, { type: 'track-calibrate' }>): Promise<void> {
  try {
    const { framePose } = await (await startedTracker(message.tracker)).calibrate(message.image);
    scope.postMessage({ type: 'track-calibrated', id: message.id, calibration: { framePose } });
  } catch (error) {
    scope.postMessage({ type: 'failed', id: message.id, error: portableError(error) });
  }
}

scope.addEventListener('message', ({ data: message }) => {
  if (message.type === 'create') void create(message);
  else if (message.type === 'export-compact') void exportCompact(message);
  else if (message.type === 'hair-mesh') void makeHair(message);
  else if (message.type === 'read-avatar') void readAvatar(message);
  else if (message.type === 'track-start') void startTracker(message);
  else if (message.type === 'track-frame') void trackFrame(message);
  else if (message.type === 'track-calibrate') void calibrateTracker(message);
  else if (message.type === 'track-stop') trackers.delete(message.tracker);
  else if (message.type === 'abort') running.get(message.id)?.abort();
  else if (message.type === 'asset') {
    const waiting = assetRequests.get(message.request);
    assetRequests.delete(message.request);
    if (message.bytes) waiting?.resolve(message.bytes);
    else waiting?.reject(new PhotoAvatarError(message.error?.code ?? 'MISSING_ASSET', message.error?.message ?? 'The page sent no asset.'));
  }
});

// A message the worker cannot read belongs to no known request: every creation under way fails.
scope.addEventListener('messageerror', () => {
  for (const [id, controller] of running) {
    controller.abort();
    scope.postMessage({ type: 'failed', id, error: { code: 'RUNTIME_FAILURE', message: 'The avatar worker could not read a message from the page (structured clone failed).' } });
  }
});

// Report what nothing caught instead of letting it reach the page as an anonymous worker error;
// the runtime's own guards (../inference/runtime.ts) still see the event and fail their session.
scope.addEventListener('error', (event) => {
  event.preventDefault();
  scope.postMessage({ type: 'uncaught', message: `${event.message}${event.filename ? ` (${event.filename}:${event.lineno})` : ''}` });
});
scope.addEventListener('unhandledrejection', (event) => {
  scope.postMessage({ type: 'uncaught', message: `unhandled rejection: ${event.reason instanceof Error ? event.reason.message : String(event.reason)}` });
});
