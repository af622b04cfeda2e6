/**
 * Owns the avatar on the stage: creates it from a photo (cancelling any creation under way),
 * replaces the previous one, drives expressions, and measures where it lands on screen.
 */
import { Matrix, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { createAvatarFromPhoto, type PhotoSource } from '../src/plugin/create-avatar.js';
import type { Avatar } from '../src/plugin/avatar.js';
import type { ProgressCallback } from '../src/types.js';
import type { Stage } from './stage.js';

export type { Avatar };
export type InferenceChoice = 'auto' | 'webgpu' | 'wasm';

/** A rectangle in CSS pixels relative to the canvas' top-left corner. */
export interface ScreenBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export class AvatarController {
  private current: Avatar | null = null;
  private pending: AbortController | null = null;

  constructor(private readonly stage: Stage) {}

  get avatar(): Avatar | null {
    return this.current;
  }

  /** Creates an avatar; a newer call aborts an older one still running. */
  async create(photo: PhotoSource, onProgress: ProgressCallback, backend: InferenceChoice = 'auto'): Promise<Avatar> {
    this.cancel();
    const controller = new AbortController();
    this.pending = controller;
    try {
      const avatar = await createAvatarFromPhoto(this.stage.scene, photo, { onProgress, signal: controller.signal, backend });
      if (controller.signal.aborted) {
        avatar.dispose();
        throw controller.signal.reason ?? new DOMException('Aborted', 'AbortError');
      }
      this.current?.dispose();
      this.current = avatar;
      this.stage.frame(avatar.head, avatar.modelSpace);
      await this.stage.whenRendered();
      return avatar;
    } finally {
      if (this.pending === controller) this.pending = null;
    }
  }

  cancel(): void {
    this.pending?.abort();
    this.pending = null;
  }

  setExpression(name: string, weight: number): void {
    if (!this.current) return;
    this.current.setExpression(name, weight);
    this.stage.requestRender();
  }

  setVisible(visible: boolean): void {
    this.current?.head.setEnabled(visible);
    this.stage.requestRender();
  }

  /** Screen box of the whole head, from its bounding box corners. */
  headBox(): ScreenBox | null {
    if (!this.current) return null;
    const { min, max } = this.current.head.getHierarchyBoundingVectors(true);
    const corners: number[] = [];
    for (let i = 0; i < 8; i++) corners.push(i & 1 ? max.x : min.x, i & 2 ? max.y : min.y, i & 4 ? max.z : min.z);
    return this.projectBox(Float32Array.from(corners), Matrix.Identity());
  }

  /**
   * Screen box of the vertices an expression moves most (over a third of its largest offset): for
   * jawOpen that is the mouth and chin, wherever the model puts them.
   */
  expressionBox(name: string): ScreenBox | null {
    const avatar = this.current;
    if (!avatar) return null;
    const index = avatar.expressionNames.indexOf(name);
    const target = index >= 0 ? avatar.morphTargetManager.getTarget(index) : null;
    const base = avatar.head.getVerticesData(VertexBuffer.PositionKind);
    const moved = target?.getPositions();
    if (!target || !base || !moved) return null;
    const vertexCount = base.length / 3;
    const offsets = new Float32Array(vertexCount);
    let largest = 0;
    for (let v = 0; v < vertexCount; v++) {
      const dx = moved[3 * v] - base[3 * v];
      const dy = moved[3 * v + 1] - base[3 * v + 1];
      const dz = moved[3 * v + 2] - base[3 * v + 2];
      offsets[v] = Math.hypot(dx, dy, dz);
      largest = Math.max(largest, offsets[v]);
    }
    if (largest === 0) return null;
    const selected: number[] = [];
    for (let v = 0; v < vertexCount; v++) {
      if (offsets[v] > largest / 3) selected.push(base[3 * v], base[3 * v + 1], base[3 * v + 2]);
    }
    return this.projectBox(Float32Array.from(selected), avatar.head.computeWorldMatrix(true));
  }

  private projectBox(points: Float32Array, world: Matrix): ScreenBox {
    const { scene, camera, engine } = this.stage;
    const renderWidth = engine.getRenderWidth();
    const renderHeight = engine.getRenderHeight();
    const viewport = camera.viewport.toGlobal(renderWidth, renderHeight);
    const transform = scene.getTransformMatrix();
    const canvas = engine.getRenderingCanvas();
    const cssPerPixelX = (canvas?.clientWidth ?? renderWidth) / renderWidth;
    const cssPerPixelY = (canvas?.clientHeight ?? renderHeight) / renderHeight;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    const point = new Vector3();
    const projected = new Vector3();
    for (let i = 0; i < points.length; i += 3) {
      point.set(points[i], points[i + 1], points[i + 2]);
      Vector3.ProjectToRef(point, world, transform, viewport, projected);
      minX = Math.min(minX, projected.x);
      maxX = Math.max(maxX, projected.x);
      minY = Math.min(minY, projected.y);
      maxY = Math.max(maxY, projected.y);
    }
    return { left: minX * cssPerPixelX, top: minY * cssPerPixelY, width: (maxX - minX) * cssPerPixelX, height: (maxY - minY) * cssPerPixelY };
  }
}
