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
import type { BaseTexture } from '@babylonjs/core/Materials/Textures/baseTexture.js';
import type { Avatar } from '../src/plugin/avatar.js';
import { frameAvatar, PORTRAIT_FOV } from '../src/plugin/frame-avatar.js';
import { createEnvironmentTexture, environmentIntensity, type EnvironmentPreset } from '../src/plugin/environments.js';

interface StageLighting {
  background: Color3;
  skyColor: Color3;
  groundColor: Color3;
  skyIntensity: number;
  /** Where the key light comes from (world space, the avatar faces +Z); matches the recipe's main lobe in environments.ts. */
  keyFrom: Vector3;
  keyColor: Color3;
  keyIntensity: number;
}

const STAGE_LIGHTING: Record<EnvironmentPreset, StageLighting> = {
  studio: {
    background: new Color3(0.16, 0.17, 0.2), skyColor: new Color3(1, 1, 1), groundColor: new Color3(0.25, 0.24, 0.23), skyIntensity: 0.45,
    keyFrom: new Vector3(0.6, 0.45, 0.75), keyColor: new Color3(1, 0.97, 0.92), keyIntensity: 1.1,
  },
  outdoor: {
    background: new Color3(0.47, 0.64, 0.88), skyColor: new Color3(0.62, 0.75, 1), groundColor: new Color3(0.35, 0.32, 0.22), skyIntensity: 0.6,
    keyFrom: new Vector3(0.45, 0.75, 0.5), keyColor: new Color3(1, 0.91, 0.76), keyIntensity: 2.2,
  },
  indoor: {
    background: new Color3(0.05, 0.045, 0.04), skyColor: new Color3(1, 0.8, 0.55), groundColor: new Color3(0.08, 0.07, 0.06), skyIntensity: 0.12,
    keyFrom: new Vector3(0.1, 1, 0.25), keyColor: new Color3(1, 0.72, 0.42), keyIntensity: 0.55,
  },
};

export class Stage {
  readonly scene: Scene;
  readonly camera: ArcRotateCamera;
  private readonly sky: HemisphericLight;
  private readonly key: DirectionalLight;
  private currentEnvironment: EnvironmentPreset = 'studio';
  /** Image-based lighting per preset, made once (scene start for the first): avatars are lit with it. */
  private readonly environmentTextures = new Map<EnvironmentPreset, BaseTexture>();
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

    this.sky = new HemisphericLight('sky', new Vector3(0, 1, 0.3), scene);
    this.key = new DirectionalLight('key', new Vector3(-0.4, -0.5, -1), scene);
    this.setEnvironment('studio');

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

  get environment(): EnvironmentPreset {
    return this.currentEnvironment;
  }

  /**
   * Background and direct lights to match an environment (the avatar's image-based lighting comes
   * from Avatar.relight with the same preset): the key light shines from the environment's
   * brightest lobe, the hemispheric fill takes its sky and ground colours.
   */
  setEnvironment(environment: EnvironmentPreset): void {
    const look = STAGE_LIGHTING[environment];
    this.currentEnvironment = environment;
    this.scene.clearColor = Color4.FromColor3(look.background, 1);
    this.sky.diffuse = look.skyColor;
    this.sky.groundColor = look.groundColor;
    this.sky.intensity = look.skyIntensity;
    this.key.direction = look.keyFrom.scale(-1).normalize();
    this.key.diffuse = look.keyColor;
    this.key.specular = look.keyColor;
    this.key.intensity = look.keyIntensity;
    // The scene has its environment before any avatar: an avatar's shaders, compiled while it is
    // built, are those of its first frame, and no avatar computes the cube map again.
    this.scene.environmentTexture = this.environmentTexture;
    this.scene.environmentIntensity = environmentIntensity(environment);
    this.requestRender();
  }

  /** The current environment's image-based lighting (owned by the stage). */
  get environmentTexture(): BaseTexture {
    let texture = this.environmentTextures.get(this.currentEnvironment);
    if (!texture) {
      texture = createEnvironmentTexture(this.scene, this.currentEnvironment);
      this.environmentTextures.set(this.currentEnvironment, texture);
    }
    return texture;
  }

  requestRender(): void {
    this.dirty = true;
  }

  /** Resolves once a frame with everything ready (shaders compiled, textures uploaded) has been drawn. */
  whenRendered(): Promise<void> {
    this.requestRender();
    return new Promise((resolve, reject) => this.frameWaiters.push({ resolve, reject }));
  }

  /** Points the camera at an avatar's face through a portrait lens (frameAvatar, PORTRAIT_FOV), the head filling the view. */
  frame(avatar: Avatar): void {
    const distance = frameAvatar(this.camera, avatar, { fov: PORTRAIT_FOV });
    this.camera.upperRadiusLimit = distance * 8;
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
