/**
 * The avatars on the stage. The photo panel (CreateAvatarAction) creates them; this keeps the
 * accepted one and the one in preview apart (the preview hides the accepted head until it is
 * accepted or discarded), lights them with the stage's environment, drives expressions, and
 * measures where they land on screen.
 */
import { Matrix, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import type { Avatar } from '../src/plugin/avatar.js';
import type { EnvironmentPreset } from '../src/plugin/environments.js';
import type { Stage } from './stage.js';
import { applyPreset, type PresetName } from './presets.js';

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
  private accepted: Avatar | null = null;
  private previewed: Avatar | null = null;

  constructor(private readonly stage: Stage) {}

  /** The avatar on show: the one in preview, else the accepted one. */
  get avatar(): Avatar | null {
    return this.previewed ?? this.accepted;
  }

  /** A new avatar awaits Accept/Discard: show it alone, framed and lit like the stage. */
  showPreview(avatar: Avatar): void {
    this.previewed = avatar;
    this.accepted?.root.setEnabled(false);
    this.light(avatar);
    this.stage.frame(avatar);
  }

  /** The preview becomes the avatar; the previous one leaves the scene. */
  accept(avatar: Avatar): void {
    if (this.accepted && this.accepted !== avatar) this.accepted.dispose();
    this.accepted = avatar;
    if (this.previewed === avatar) this.previewed = null;
    avatar.root.setEnabled(true);
    this.light(avatar);
    this.stage.requestRender();
  }

  /** The preview goes away (the panel disposes it); the accepted avatar, if any, comes back. */
  discard(avatar: Avatar): void {
    if (this.previewed !== avatar) return;
    this.previewed = null;
    this.accepted?.root.setEnabled(true);
    this.stage.requestRender();
  }

  setEnvironment(environment: EnvironmentPreset): void {
    this.stage.setEnvironment(environment);
    const avatar = this.avatar;
    if (avatar) this.light(avatar);
    this.stage.requestRender();
  }

  /** Returns the number of morph targets the preset set. */
  applyPreset(name: PresetName): number {
    const avatar = this.avatar;
    if (!avatar) return 0;
    const applied = applyPreset(avatar, name);
    this.stage.requestRender();
    return applied;
  }

  /** The stage's environment texture (not a new one per avatar: Avatar.relight with a preset would compute it again). */
  private light(avatar: Avatar): void {
    avatar.relight(this.stage.environmentTexture);
  }

  setExpression(name: string, weight: number): void {
    const avatar = this.avatar;
    if (!avatar) return;
    avatar.setExpression(name, weight);
    this.stage.requestRender();
  }

  setVisible(visible: boolean): void {
    this.avatar?.head.setEnabled(visible);
    this.stage.requestRender();
  }

  /** Screen box of the whole head, from its bounding box corners. */
  headBox(): ScreenBox | null {
    const avatar = this.avatar;
    if (!avatar) return null;
    const { min, max } = avatar.head.getHierarchyBoundingVectors(true);
    const corners: number[] = [];
    for (let i = 0; i < 8; i++) corners.push(i & 1 ? max.x : min.x, i & 2 ? max.y : min.y, i & 4 ? max.z : min.z);
    return this.projectBox(Float32Array.from(corners), Matrix.Identity());
  }

  /**
   * Screen box of the vertices an expression moves most (over a third of its largest offset): for
   * jawOpen that is the mouth and chin, wherever the model puts them.
   */
  expressionBox(name: string): ScreenBox | null {
    const avatar = this.avatar;
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
