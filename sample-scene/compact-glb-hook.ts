/**
 * Test and console hook for the compact GLB in a real browser: `window.__compactGlb.exportFromAvatarFile(url)`
 * rebuilds an avatar from a `.avatar` file and exports it with Avatar.exportCompactGLB (meshopt,
 * WebP through the bundled WASM encoder, levels of detail), as the editor action's download does,
 * in the avatar worker or (`worker: false`) on the main thread, watching the main thread meanwhile
 * (./main-thread-watch.ts);
 * `show(base64)` loads a compact GLB into the page's scene with Babylon's glTF loader and the
 * bundled meshopt decoder (nothing fetched from a CDN) and frames it for a screenshot.
 */
import type { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { ImportMeshAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import type { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/index.js';
import { loadAvatar } from '../src/plugin/avatar-loader.js';
import { useBundledMeshoptDecoder } from '../src/plugin/meshopt-decoder.js';
import { toBase64 } from './avatar-file-hook.js';
import { watchMainThread } from './main-thread-watch.js';

export interface CompactGlbHooks {
  /** Also the main thread's long tasks (over 50 ms) during the export, their durations (ms), and the animation frames it ran. */
  exportFromAvatarFile(url: string, options?: { worker?: boolean }): Promise<{ base64: string; exportMs: number; longTasksMs: number[]; frames: number }>;
  /** Loads the GLB, hides the page's own avatar meshes, frames the head; returns the loaded mesh names and head triangles. */
  show(base64: string): Promise<{ meshes: string[]; headTriangles: number; morphTargets: number; loadMs: number }>;
}

declare global {
  interface Window {
    __compactGlb?: CompactGlbHooks;
  }
}

export function installCompactGlbHook(scene: Scene): void {
  let shown: AbstractMesh[] = [];
  window.__compactGlb = {
    async exportFromAvatarFile(url, options = {}) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
      const avatar = await loadAvatar(scene, new Uint8Array(await response.arrayBuffer()), { name: 'compactGlbSource' });
      try {
        const watched = await watchMainThread(() => avatar.exportCompactGLB({ worker: options.worker }));
        return { base64: toBase64(watched.result), exportMs: watched.ms, longTasksMs: watched.longTasksMs, frames: watched.frames };
      } finally {
        avatar.dispose();
      }
    },
    async show(base64) {
      useBundledMeshoptDecoder();
      for (const mesh of shown) mesh.dispose();
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const start = performance.now();
      const result = await ImportMeshAsync(bytes, scene, { pluginExtension: '.glb' });
      const loadMs = performance.now() - start;
      shown = result.meshes;
      const head = result.meshes.find((m) => m.name === 'headMesh' && !m.isDisposed());
      if (!head) throw new Error(`No headMesh among ${result.meshes.map((m) => m.name).join(', ')}`);
      // Only the loaded GLB on screen.
      for (const mesh of scene.meshes) if (!result.meshes.includes(mesh) && mesh.name !== '__root__') mesh.isVisible = false;
      const camera = scene.activeCamera as ArcRotateCamera;
      const { min, max } = head.getHierarchyBoundingVectors(true);
      const center = min.add(max).scaleInPlace(0.5);
      camera.setTarget(center);
      // The glTF loader's __root__ mirrors x only, so the face (the model's +Z) still looks along +Z.
      camera.setPosition(center.add(new Vector3(0, 0, 1.6 * Math.max(max.x - min.x, max.y - min.y))));
      return {
        meshes: result.meshes.filter((m) => !m.isDisposed()).map((m) => m.name),
        headTriangles: head.getTotalIndices() / 3,
        morphTargets: head.morphTargetManager?.numTargets ?? 0,
        loadMs,
      };
    },
  };
}
