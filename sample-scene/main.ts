/**
 * Sample scene: pick, drop or webcam-capture a face photo in the plugin's CreateAvatarAction panel,
 * get a rigged head, relight it, play with its expressions.
 * `?engine=webgl2|webgpu` picks the Babylon engine, `?backend=webgpu|wasm` the inference provider,
 * `?mesh=attention` Mirror mode's landmark model. Tests drive the page through
 * `window.__sampleScene` and watch `document.body.dataset.state`.
 */
import { createEngine, requestedEngineKind, type EngineKind } from './engine.js';
import { Stage } from './stage.js';
import { AvatarController, type Avatar, type InferenceChoice, type ScreenBox } from './avatar-controller.js';
import {
  bindEnvironmentChoice, bindPresetButtons, clearExpressionSliders, formatTimings, markCurrentEngine, setStatus, showExpressionSliders,
  syncExpressionSliders,
} from './ui.js';
import {
  logAttentionPlacement, probeAttentionMesh, probeFitting, probeInference, type AttentionMeshProbe, type FittingProbe, type InferenceProbe, type PortableFaceObservation,
  type PortableImage,
} from './diagnostics.js';
import { isPresetName, type PresetName } from './presets.js';
import { bindMirrorMode, requestedMeshModel, type MirrorStats } from './mirror.js';
import type { TrackerCalibration } from '../src/tracking/face-tracker.js';
import { CreateAvatarAction } from '../src/plugin/editor/create-avatar-action.js';
import { isEnvironmentPreset, type EnvironmentPreset } from '../src/plugin/environments.js';
import { PhotoAvatarError } from '../src/errors.js';

/** 'starting' -> 'idle' (engine up) -> 'working' -> 'ready' | 'error'. */
type PageState = 'starting' | 'idle' | 'working' | 'ready' | 'error';

export interface AvatarSummary {
  engine: EngineKind;
  backend: string;
  timings: Record<string, number>;
  expressionNames: string[];
  vertexCount: number;
  /** performance.now() when the avatar was in the scene, before its first frame was drawn. */
  createdAt: number;
}

/** createFromUrl's options for one avatar, passed to the editor action's create. */
type CreateOverrides = Parameters<CreateAvatarAction['create']>[1];

/** What tests (and curious developers in the console) can call. */
export interface SampleSceneHooks {
  engine: EngineKind;
  /**
   * `backend` overrides the page's `?backend=` choice for this avatar; `options` go to
   * createAvatarFromPhoto (`worker: false` creates it on the main thread; `subsurface: 'scattering'`
   * turns on Babylon's screen-space scattering).
   */
  createFromUrl(url: string, backend?: InferenceChoice, options?: CreateOverrides): Promise<AvatarSummary>;
  setAvatarVisible(visible: boolean): Promise<void>;
  setExpression(name: string, weight: number): Promise<void>;
  /** Resolves after the next fully ready frame. */
  whenRendered(): Promise<void>;
  headBox(): ScreenBox | null;
  /** The avatar on show's hair style (null: none) and base colour (linear RGB), or null without an avatar. */
  hair(): { style: string | null; base: number[] } | null;
  /** How many faces the avatar on show's photo holds, which one it is (its faceIndex) and the photo's width, or null. */
  faces(): { count: number; chosen: number; imageWidth: number } | null;
  expressionBox(name: string): ScreenBox | null;
  probeInference(backend?: 'auto' | 'webgpu' | 'wasm'): Promise<InferenceProbe>;
  /** 'studio' | 'outdoor' | 'indoor'; resolves after the relit frame. */
  setEnvironment(name: EnvironmentPreset): Promise<void>;
  /** 'smile' | 'surprise' | 'blink' | 'reset'; resolves with the number of morph targets set, after the frame. */
  applyPreset(name: PresetName): Promise<number>;
  /** Fits the default head to `observation` on WebGPU and on WASM and compares the coefficients. */
  probeFitting(observation: PortableFaceObservation, width: number, height: number): Promise<FittingProbe>;
  /** The attention FaceMesh on `backend`, on the crop around `previous`: its 478 points and per-run cost (one page per backend). */
  probeAttentionMesh(image: PortableImage, previous: PortableFaceObservation, backend: 'webgpu' | 'wasm', runs: number): Promise<AttentionMeshProbe>;
  /** Creates an attention-mesh session on WebGPU with ort's verbose log (console errors), which names each node's provider. After a WebGPU probe. */
  logAttentionPlacement(): Promise<void>;
  /** Starts Mirror mode (the webcam drives the avatar) or stops it. */
  toggleMirror(): Promise<void>;
  /** What Mirror mode has tracked since it last started. */
  mirrorStats(): MirrorStats;
  /** Calibrates Mirror mode on the camera's next frame; resolves with the head pose that frame showed. */
  calibrateMirror(): Promise<TrackerCalibration>;
}

declare global {
  interface Window {
    __sampleScene?: SampleSceneHooks;
  }
}

function setState(state: PageState): void {
  document.body.dataset.state = state;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `?backend=webgpu|wasm` pins the inference backend; the default lets the runtime choose. */
function requestedBackend(search: string): InferenceChoice {
  const value = new URLSearchParams(search).get('backend');
  return value === 'webgpu' || value === 'wasm' ? value : 'auto';
}

function summarize(avatar: Avatar, engine: EngineKind, createdAt = performance.now()): AvatarSummary {
  return {
    engine,
    backend: avatar.data.backend,
    timings: { ...avatar.data.timings },
    expressionNames: [...avatar.expressionNames],
    vertexCount: avatar.head.getTotalVertices(),
    createdAt,
  };
}

async function main(): Promise<void> {
  const canvas = document.getElementById('render-canvas') as HTMLCanvasElement;
  const { engine, kind, fallbackReason } = await createEngine(canvas, requestedEngineKind(location.search));
  document.body.dataset.engine = kind;
  markCurrentEngine(kind);
  const stage = new Stage(engine);
  const avatars = new AvatarController(stage);
  const engineLine = `Engine: ${kind}${fallbackReason ? ` (${fallbackReason})` : ''}`;
  const pageBackend = requestedBackend(location.search);

  const presets = bindPresetButtons((name) => applyPresetAndSync(name));
  const mirror = bindMirrorMode(() => avatars.avatar, (line, isError) => setStatus(`${engineLine}. ${line}`, isError), () => stage.requestRender(), requestedMeshModel(location.search));
  const environments = bindEnvironmentChoice((environment) => avatars.setEnvironment(environment));

  function applyPresetAndSync(name: PresetName): number {
    const applied = avatars.applyPreset(name);
    const avatar = avatars.avatar;
    if (avatar) syncExpressionSliders(avatar.expressionNames, avatar.coefficients.expression);
    if (avatar && applied === 0) setStatus(`${engineLine}. This model has no ARKit-named targets for '${name}'.`);
    return applied;
  }

  function showAvatarControls(avatar: Avatar | null): void {
    if (avatar) showExpressionSliders(avatar.expressionNames, avatar.coefficients.expression, (name, weight) => avatars.setExpression(name, weight));
    else clearExpressionSliders();
    presets.setEnabled(!!avatar);
    const mirrorButton = document.getElementById('mirror') as HTMLButtonElement | null;
    if (mirrorButton) mirrorButton.disabled = !avatar;
    if (mirror.running && !avatar) void mirror.toggle();
  }

  // The page's one photo input: the plugin's editor action, placed in the side panel.
  const action = new CreateAvatarAction(stage.scene, {
    container: document.getElementById('photo-action')!,
    backend: pageBackend,
    frameCamera: false,
    onStateChange: (state) => {
      if (state !== 'working') return;
      setState('working');
      setStatus(`${engineLine}. Working...`);
    },
    onPreview: (avatar) => {
      avatars.showPreview(avatar);
      showAvatarControls(avatar);
      const summary = summarize(avatar, kind);
      setStatus(`${engineLine}. Inference: ${summary.backend}. ${formatTimings(summary.timings)}`);
      setState('ready');
    },
    onAccept: (avatar) => avatars.accept(avatar),
    onAvatarChange: () => stage.requestRender(),
    onDiscard: (avatar) => {
      avatars.discard(avatar);
      showAvatarControls(avatars.avatar);
      if (!avatars.avatar) setState('idle');
    },
    onError: (error) => {
      const cancelled = error instanceof PhotoAvatarError && error.code === 'ABORTED';
      setStatus(`${engineLine}. ${cancelled ? 'Cancelled.' : `Failed: ${describeError(error)}`}`, !cancelled);
      setState(cancelled ? (avatars.avatar ? 'ready' : 'idle') : 'error');
    },
  });
  action.addDropTarget(document.getElementById('viewport')!);

  async function createFrom(photo: Blob, backend: InferenceChoice = pageBackend, options: CreateOverrides = {}): Promise<AvatarSummary> {
    const avatar = await action.create(photo, { backend, ...options });
    const createdAt = performance.now();
    await stage.whenRendered();
    return summarize(avatar, kind, createdAt);
  }

  // The photo the package ships (face-api's demo/sample1.jpg, MIT), beside the models: a first avatar without a photo of one's own.
  const samplePhotoButton = document.getElementById('sample-photo') as HTMLButtonElement;
  samplePhotoButton.addEventListener('click', () => {
    fileFromUrl('assets/sample-photo.jpg').then(
      // The creation's failures are on the panel and the status line already (onError).
      (photo) => createFrom(photo).catch(() => undefined),
      (error: unknown) => setStatus(`${engineLine}. Failed: ${describeError(error)}`, true),
    );
  });

  window.__sampleScene = {
    engine: kind,
    async createFromUrl(url, backend, options = {}) {
      return createFrom(await fileFromUrl(url), backend, options);
    },
    async setAvatarVisible(visible) {
      avatars.setVisible(visible);
      await stage.whenRendered();
    },
    async setExpression(name, weight) {
      avatars.setExpression(name, weight);
      await stage.whenRendered();
    },
    whenRendered: () => stage.whenRendered(),
    headBox: () => avatars.headBox(),
    hair: () => {
      const avatar = avatars.avatar;
      return avatar ? { style: avatar.data.hair?.style ?? null, base: Array.from(avatar.data.hair?.base ?? []) } : null;
    },
    faces: () => {
      const faces = avatars.avatar?.data.facesInPhoto;
      return faces ? { count: faces.boxes.length, chosen: faces.chosen, imageWidth: faces.imageWidth } : null;
    },
    expressionBox: (name) => avatars.expressionBox(name),
    probeInference: (backend) => probeInference(backend),
    async setEnvironment(name) {
      if (!isEnvironmentPreset(name)) throw new Error(`Unknown environment '${String(name)}'`);
      environments.select(name);
      avatars.setEnvironment(name);
      await stage.whenRendered();
    },
    async applyPreset(name) {
      if (!isPresetName(name)) throw new Error(`Unknown preset '${String(name)}'`);
      const applied = applyPresetAndSync(name);
      await stage.whenRendered();
      return applied;
    },
    probeFitting: (observation, width, height) => probeFitting(observation, width, height),
    probeAttentionMesh: (image, previous, backend, runs) => probeAttentionMesh(image, previous, backend, runs),
    logAttentionPlacement: () => logAttentionPlacement(),
    toggleMirror: () => mirror.toggle(),
    mirrorStats: () => mirror.stats,
    calibrateMirror: () => mirror.calibrate(),
  };
  // Test and console hooks, installed before the page says it is idle: evaluating their modules
  // (the glTF loader among them) is one long task, which otherwise landed in the first avatar's creation.
  const [avatarFileHook, compactGlbHook] = await Promise.all([import('./avatar-file-hook.js'), import('./compact-glb-hook.js')]);
  avatarFileHook.installAvatarFileHook(stage.scene);
  compactGlbHook.installCompactGlbHook(stage.scene);

  await stage.whenRendered();
  samplePhotoButton.disabled = false;
  setStatus(`${engineLine}. Choose, drop or take a face photo, or try the sample photo.`);
  setState('idle');
}

/** The photo at `url` as a File: a File keeps the photo's name, which the panel's downloads are named after. */
async function fileFromUrl(url: string): Promise<File> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
  const blob = await response.blob();
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || 'photo');
  return new File([blob], name, { type: blob.type });
}

main().catch((error) => {
  console.error('Sample scene failed to start:', error);
  setStatus(`Failed to start: ${describeError(error)}`, true);
  setState('error');
});
