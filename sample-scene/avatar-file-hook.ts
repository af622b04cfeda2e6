/**
 * Test and console hook: `window.__avatarFile.loadFromUrl(url)` loads a `.avatar` file into the
 * page's scene exactly as an application would (the plugin's loadAvatar, model pack resolved in
 * the page) and reports what it rebuilt, so a test can compare it with the avatar that wrote the
 * file in Node. The loaded avatar is disposed again unless `keep` is set; a kept one can be
 * framed and posed (`showLoaded`) for screenshots, and restyled (`restyleLoaded`).
 */
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import type { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { Avatar } from '../src/plugin/avatar.js';
import { loadAvatar } from '../src/plugin/avatar-loader.js';
import { frameAvatar, PORTRAIT_FOV } from '../src/plugin/frame-avatar.js';
import type { HairStyle } from '../src/hair/index.js';
import { watchMainThread } from './main-thread-watch.js';

export interface AvatarFileProbe {
  modelId: string;
  vertexCount: number;
  /** The head mesh's vertex positions (model space), Float32 little-endian, base64. */
  positionsBase64: string;
  albedoWidth: number;
  albedoHeight: number;
  /** The albedo the avatar was built with, RGBA bytes, base64. */
  albedoBase64: string;
  boneNames: string[];
  expressionNames: string[];
  loadMs: number;
  /** Animation frames the page ran during the load, and its long tasks (ms): ./main-thread-watch.ts. */
  loadFrames: number;
  loadLongTasksMs: number[];
}

/** CSS pixels on the canvas. */
export interface CanvasBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface AvatarFileHooks {
  /** `keep`: leave the avatar in the scene (for showLoaded); `mouthInterior`, `worker`: as in LoadAvatarOptions. */
  loadFromUrl(url: string, options?: { keep?: boolean; mouthInterior?: boolean; worker?: boolean }): Promise<AvatarFileProbe>;
  /**
   * Frames the kept avatar with the scene's orbit camera, sets the given expression weights and
   * returns the screen box between the inner lips (iBUG 60-67) as posed, or null without landmarks.
   */
  showLoaded(weights: Record<string, number>): CanvasBox | null;
  /**
   * Avatar.setHair(style) on the kept avatar, in the avatar worker or (`worker: false`) on the main
   * thread, watching the main thread meanwhile (./main-thread-watch.ts); the hair's vertex
   * positions and colours (Float32 little-endian, base64) as built.
   */
  restyleLoaded(style: HairStyle, options?: { worker?: boolean }): Promise<{ positionsBase64: string; coloursBase64: string; ms: number; frames: number; longTasksMs: number[] }>;
  disposeLoaded(): void;
}

declare global {
  interface Window {
    __avatarFile?: AvatarFileHooks;
  }
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** Like the sample stage's framing (Stage.frame): a portrait lens on the face. */
function frameHead(scene: Scene, avatar: Avatar): void {
  const camera = scene.activeCamera as ArcRotateCamera | null;
  if (camera && 'setTarget' in camera) frameAvatar(camera, avatar, { fov: PORTRAIT_FOV });
}

/** Screen box of the inner-lip landmarks, posed (morph targets and skin applied). */
function innerMouthBox(scene: Scene, avatar: Avatar): CanvasBox | null {
  const landmarks = avatar.data.model.landmarks68;
  const posed = avatar.head.getPositionData(true, true);
  if (!landmarks || landmarks.length < 68 || !posed) return null;
  const engine = scene.getEngine();
  const camera = scene.activeCamera!;
  const width = engine.getRenderWidth(), height = engine.getRenderHeight();
  const viewport = camera.viewport.toGlobal(width, height);
  const world = avatar.head.computeWorldMatrix(true);
  const canvas = engine.getRenderingCanvas();
  const cssX = (canvas?.clientWidth ?? width) / width, cssY = (canvas?.clientHeight ?? height) / height;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const projected = new Vector3();
  // The scene's own transform matrix is only refreshed by the next render; the camera was just moved.
  const viewProjection = camera.getViewMatrix(true).multiply(camera.getProjectionMatrix(true));
  for (let i = 60; i < 68; i++) {
    const v = landmarks[i];
    Vector3.ProjectToRef(new Vector3(posed[3 * v], posed[3 * v + 1], posed[3 * v + 2]), world, viewProjection, viewport, projected);
    minX = Math.min(minX, projected.x); maxX = Math.max(maxX, projected.x);
    minY = Math.min(minY, projected.y); maxY = Math.max(maxY, projected.y);
  }
  return { left: minX * cssX, top: minY * cssY, width: (maxX - minX) * cssX, height: (maxY - minY) * cssY };
}

export function installAvatarFileHook(scene: Scene): void {
  let loaded: Avatar | null = null;
  window.__avatarFile = {
    async loadFromUrl(url, options = {}) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const { result: avatar, ms: loadMs, frames: loadFrames, longTasksMs: loadLongTasksMs } = await watchMainThread(() => loadAvatar(scene, bytes, { name: 'loadedAvatar', mouthInterior: options.mouthInterior, worker: options.worker }));
      const positions = Float32Array.from(avatar.head.getVerticesData(VertexBuffer.PositionKind) ?? []);
      const { albedo } = avatar.data;
      const probe: AvatarFileProbe = {
        modelId: avatar.data.model.id,
        vertexCount: avatar.head.getTotalVertices(),
        positionsBase64: toBase64(new Uint8Array(positions.buffer)),
        albedoWidth: albedo.width,
        albedoHeight: albedo.height,
        albedoBase64: toBase64(new Uint8Array(albedo.data.buffer, albedo.data.byteOffset, albedo.width * albedo.height * 4)),
        boneNames: avatar.skeleton.bones.map((bone) => bone.name),
        expressionNames: [...avatar.expressionNames],
        loadMs,
        loadFrames,
        loadLongTasksMs,
      };
      if (options.keep) {
        loaded?.dispose();
        loaded = avatar;
      } else {
        avatar.dispose();
      }
      return probe;
    },
    showLoaded(weights) {
      if (!loaded) throw new Error('No avatar kept: call loadFromUrl(url, { keep: true }) first.');
      frameHead(scene, loaded);
      loaded.setExpressionCoefficients(new Float32Array(loaded.expressionNames.length));
      for (const [name, weight] of Object.entries(weights)) loaded.setExpression(name, weight);
      loaded.skeleton.prepare(true);
      return innerMouthBox(scene, loaded);
    },
    async restyleLoaded(style, options = {}) {
      const avatar = loaded;
      if (!avatar) throw new Error('No avatar kept: call loadFromUrl(url, { keep: true }) first.');
      const { ms, frames, longTasksMs } = await watchMainThread(() => avatar.setHair(style, { worker: options.worker }));
      const vertexData = (kind: string) => toBase64(new Uint8Array(Float32Array.from(avatar.hairMesh?.getVerticesData(kind) ?? []).buffer));
      return { positionsBase64: vertexData(VertexBuffer.PositionKind), coloursBase64: vertexData(VertexBuffer.ColorKind), ms, frames, longTasksMs };
    },
    disposeLoaded() {
      loaded?.dispose();
      loaded = null;
    },
  };
}
