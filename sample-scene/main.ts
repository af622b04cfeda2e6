/**
 * Sample scene: pick or drop a face photo, get a rigged head, play with its expressions.
 * `?engine=webgl2|webgpu` picks the Babylon engine. Tests drive the page through
 * `window.__sampleScene` and watch `document.body.dataset.state`.
 */
import { createEngine, requestedEngineKind, type EngineKind } from './engine.js';
import { Stage } from './stage.js';
import { AvatarController, type Avatar, type InferenceChoice, type ScreenBox } from './avatar-controller.js';
import { bindPhotoInputs, formatTimings, markCurrentEngine, ProgressView, setStatus, showExpressionSliders } from './ui.js';
import { probeFitting, probeInference, type FittingProbe, type InferenceProbe, type PortableFaceObservation } from './diagnostics.js';
import type { PhotoSource } from '../src/plugin/create-avatar.js';

/** 'starting' -> 'idle' (engine up) -> 'working' -> 'ready' | 'error'. */
type PageState = 'starting' | 'idle' | 'working' | 'ready' | 'error';

export interface AvatarSummary {
  engine: EngineKind;
  backend: string;
  timings: Record<string, number>;
  expressionNames: string[];
  vertexCount: number;
}

/** What tests (and curious developers in the console) can call. */
export interface SampleSceneHooks {
  engine: EngineKind;
  /** `backend` overrides the page's `?backend=` choice for this avatar. */
  createFromUrl(url: string, backend?: InferenceChoice): Promise<AvatarSummary>;
  setAvatarVisible(visible: boolean): Promise<void>;
  setExpression(name: string, weight: number): Promise<void>;
  /** Resolves after the next fully ready frame. */
  whenRendered(): Promise<void>;
  headBox(): ScreenBox | null;
  expressionBox(name: string): ScreenBox | null;
  probeInference(backend?: 'auto' | 'webgpu' | 'wasm'): Promise<InferenceProbe>;
  /** Fits the default head to `observation` on WebGPU and on WASM and compares the coefficients. */
  probeFitting(observation: PortableFaceObservation, width: number, height: number): Promise<FittingProbe>;
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

function summarize(avatar: Avatar, engine: EngineKind): AvatarSummary {
  return {
    engine,
    backend: avatar.data.backend,
    timings: { ...avatar.data.timings },
    expressionNames: [...avatar.expressionNames],
    vertexCount: avatar.head.getTotalVertices(),
  };
}

async function main(): Promise<void> {
  const canvas = document.getElementById('render-canvas') as HTMLCanvasElement;
  const { engine, kind, fallbackReason } = await createEngine(canvas, requestedEngineKind(location.search));
  document.body.dataset.engine = kind;
  markCurrentEngine(kind);
  const stage = new Stage(engine);
  const avatars = new AvatarController(stage);
  const progress = new ProgressView();
  const engineLine = `Engine: ${kind}${fallbackReason ? ` (${fallbackReason})` : ''}`;

  const pageBackend = requestedBackend(location.search);

  async function createFrom(photo: PhotoSource, backend: InferenceChoice = pageBackend): Promise<AvatarSummary> {
    setState('working');
    progress.start(() => avatars.cancel());
    setStatus(`${engineLine}. Working...`);
    try {
      const avatar = await avatars.create(photo, (event) => progress.update(event), backend);
      const fitted = avatar.data.expression;
      showExpressionSliders(avatar.expressionNames, fitted, (name, weight) => avatars.setExpression(name, weight));
      const summary = summarize(avatar, kind);
      setStatus(`${engineLine}. Inference: ${summary.backend}. ${formatTimings(summary.timings)}`);
      setState('ready');
      return summary;
    } catch (error) {
      setStatus(`${engineLine}. Failed: ${describeError(error)}`, true);
      setState('error');
      throw error;
    } finally {
      progress.finish();
    }
  }

  bindPhotoInputs((file) => {
    createFrom(file).catch((error) => console.warn('Avatar creation failed:', error));
  });

  window.__sampleScene = {
    engine: kind,
    async createFromUrl(url, backend) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
      return createFrom(await response.blob(), backend);
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
    expressionBox: (name) => avatars.expressionBox(name),
    probeInference: (backend) => probeInference(backend),
    probeFitting: (observation, width, height) => probeFitting(observation, width, height),
  };

  await stage.whenRendered();
  setStatus(`${engineLine}. Pick or drop a face photo.`);
  setState('idle');
}

main().catch((error) => {
  console.error('Sample scene failed to start:', error);
  setStatus(`Failed to start: ${describeError(error)}`, true);
  setState('error');
});
