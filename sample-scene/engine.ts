/**
 * Picks the Babylon engine: WebGPU when the browser has an adapter, else WebGL2. `?engine=webgl2`
 * or `?engine=webgpu` forces one (webgpu still falls back, and says so, when it cannot start).
 */
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { WebGPUEngine } from '@babylonjs/core/Engines/webgpuEngine.js';
import type { AbstractEngine } from '@babylonjs/core/Engines/abstractEngine.js';
// WebGPU pages need the post-process vertex shader registered up front, or screenshot and
// post-process helpers wait forever trying to fetch it.
import '@babylonjs/core/Shaders/postprocess.vertex.js';
import '@babylonjs/core/ShadersWGSL/postprocess.vertex.js';
// WebGPUEngine ships its extensions separately; the avatar's PBR material (subsurface prepass)
// needs multiple render targets.
import '@babylonjs/core/Engines/WebGPU/Extensions/engine.multiRender.js';

export type EngineKind = 'webgpu' | 'webgl2';

export interface CreatedEngine {
  engine: AbstractEngine;
  kind: EngineKind;
  /** Why the requested engine was not used, when it was not. */
  fallbackReason?: string;
}

export function requestedEngineKind(search: string): EngineKind | 'auto' {
  const value = new URLSearchParams(search).get('engine');
  return value === 'webgpu' || value === 'webgl2' ? value : 'auto';
}

export async function createEngine(canvas: HTMLCanvasElement, requested: EngineKind | 'auto'): Promise<CreatedEngine> {
  let fallbackReason: string | undefined;
  if (requested !== 'webgl2') {
    if (await WebGPUEngine.IsSupportedAsync) {
      try {
        const engine = new WebGPUEngine(canvas, { antialias: true, adaptToDeviceRatio: false, stencil: true });
        await engine.initAsync();
        return { engine, kind: 'webgpu' };
      } catch (error) {
        fallbackReason = `WebGPU engine failed to start: ${error instanceof Error ? error.message : String(error)}`;
      }
    } else {
      fallbackReason = 'this browser exposes no WebGPU adapter';
    }
  }
  // preserveDrawingBuffer: the page renders on demand, so the last frame must stay readable.
  const engine = new Engine(canvas, true, { preserveDrawingBuffer: true, stencil: true, disableWebGL2Support: false }, false);
  if (engine.webGLVersion < 2) {
    engine.dispose();
    throw new Error('Neither WebGPU nor WebGL2 is available in this browser.');
  }
  return { engine, kind: 'webgl2', fallbackReason };
}
