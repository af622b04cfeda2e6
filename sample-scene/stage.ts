/**
 * The empty stage the avatar is put on: scene, orbit camera, lights, and a renderer that draws only
 * when something changed. Continuous rendering would compete with inference for the CPU, which
 * matters on software GPUs (SwiftShader) and laptops alike.
 */
import type { AbstractEngine } from '@babylonjs/core/Engines/abstractEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { DirectionalLight } from '@babylonjs/core/Lights/directionalLight.js';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';

export class Stage {
  readonly scene: Scene;
  readonly camera: ArcRotateCamera;
  private dirty = true;
  private frameWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(readonly engine: AbstractEngine) {
    const scene = new Scene(engine);
    scene.clearColor = new Color4(0.16, 0.17, 0.2, 1);
    this.scene = scene;

    const camera = new ArcRotateCamera('camera', Math.PI / 2, Math.PI / 2, 0.6, Vector3.Zero(), scene);
    camera.minZ = 0.01;
    camera.wheelDeltaPercentage = 0.01;
    camera.lowerRadiusLimit = 0.05;
    camera.attachControl(true);
    this.camera = camera;

    const sky = new HemisphericLight('sky', new Vector3(0, 1, 0.3), scene);
    sky.intensity = 0.7;
    sky.groundColor = new Color3(0.25, 0.22, 0.2);
    const key = new DirectionalLight('key', new Vector3(-0.4, -0.5, -1), scene);
    key.intensity = 1.2;

    scene.onPointerObservable.add(() => this.requestRender());
    engine.onResizeObservable.add(() => this.requestRender());
    // The canvas follows its CSS box (panel, status line, window), not only the window.
    const canvas = engine.getRenderingCanvas();
    if (canvas && typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        engine.resize();
        this.requestRender();
      }).observe(canvas);
    } else {
      window.addEventListener('resize', () => engine.resize());
    }
    engine.runRenderLoop(() => this.renderIfNeeded());
  }

  requestRender(): void {
    this.dirty = true;
  }

  /** Resolves once a frame with everything ready (shaders compiled, textures uploaded) has been drawn. */
  whenRendered(): Promise<void> {
    this.requestRender();
    return new Promise((resolve, reject) => this.frameWaiters.push({ resolve, reject }));
  }

  /**
   * Points the camera at a head from the front, filling the view. Model space puts +Z out of the face
   * (src/types.ts), so the camera sits along `modelSpace`'s world-space +Z, whatever handedness
   * fix-up that node carries.
   */
  frame(head: AbstractMesh, modelSpace: TransformNode): void {
    const { min, max } = head.getHierarchyBoundingVectors(true);
    const center = min.add(max).scaleInPlace(0.5);
    const size = max.subtract(min);
    const radius = Math.max(size.x, size.y) * 1.6;
    const forward = Vector3.TransformNormal(new Vector3(0, 0, 1), modelSpace.computeWorldMatrix(true)).normalize();
    this.camera.setTarget(center);
    this.camera.setPosition(center.add(forward.scale(radius)));
    this.camera.upperRadiusLimit = radius * 8;
    this.requestRender();
  }

  private renderIfNeeded(): void {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      this.scene.render();
    } catch (error) {
      // A frame that cannot render never will: fail whoever waits instead of leaving them hanging.
      this.settleWaiters(error);
      throw error;
    }
    const camera = this.camera;
    const moving = camera.inertialAlphaOffset !== 0 || camera.inertialBetaOffset !== 0 || camera.inertialRadiusOffset !== 0
      || camera.inertialPanningX !== 0 || camera.inertialPanningY !== 0;
    if (moving || !this.scene.isReady()) {
      this.dirty = true;
      return;
    }
    this.settleWaiters();
  }

  private settleWaiters(error?: unknown): void {
    const waiters = this.frameWaiters;
    this.frameWaiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}
