/**
 * A built avatar in a Babylon scene: meshes, bones, morph targets and materials, plus the data it
 * was built from. Created by buildAvatar (build-avatar.ts).
 *
 * Handedness: the model is right-handed (glTF space). Like Babylon's glTF loader, the avatar keeps
 * vertex data in model space and puts the conversion in one node under `root`
 * (`<name>.modelSpace`: rotation 180° about Y, scaling z = -1, i.e. world x = -model x), so a GLB
 * written by writeGlb and re-imported lands exactly where buildAvatar puts the avatar. In a
 * right-handed scene (scene.useRightHandedSystem) that node is the identity. `root` itself is
 * free for the application to move, rotate and scale.
 */
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import type { Material } from '@babylonjs/core/Materials/material.js';
import type { Node } from '@babylonjs/core/node.js';
import type { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import type { Skeleton } from '@babylonjs/core/Bones/skeleton.js';
import { BaseTexture } from '@babylonjs/core/Materials/Textures/baseTexture.js';
import { Matrix, Quaternion, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import type { MorphTarget } from '@babylonjs/core/Morph/morphTarget.js';
import type { MorphTargetManager } from '@babylonjs/core/Morph/morphTargetManager.js';
// Static, not import(): a dynamic import can resolve to a second copy of @babylonjs/core (tsx
// under mocha does), whose instanceof checks then see no meshes in the scene.
import { GLTF2Export } from '@babylonjs/serializers/glTF/2.0/index.js';
// The serializer encodes texture images with an EffectWrapper, whose default vertex shader is not
// bundled otherwise: Babylon would fetch it by URL and the PNG encoding fails.
import '@babylonjs/core/Shaders/postprocess.vertex.js';
import { writeAvatarFile, type AvatarMaterialParameters, type WriteAvatarFileOptions } from '../avatar-file/format.js';
import { PhotoAvatarError } from '../errors.js';
import { writeGlb, type GlbOptions } from '../export/glb.js';
import { writeCompactGlb, type CompactGlbOptions } from '../export/compact-glb.js';
import { hairMeshInWorker, inWorkerOrHere, writeCompactGlbInWorker, type WorkerChoice } from '../worker/client.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { blendshapeEntries, blendshapeKey, type BlendshapeInput } from './arkit.js';
import { addHairLevelsOfDetail, addLevelsOfDetail, type MeshLevels } from './avatar-lods.js';
import { DEFAULT_LOD_RATIOS, lodSimplifierReady } from '../export/lod.js';
import { trackLive, type LiveFaceTracker, type LiveTrackingOptions } from '../tracking/live.js';
import { addHairToScene, type HairInScene } from './hair-mesh.js';
import { hairArrays, headColourBuffer, type HairArrays } from './build-arrays.js';
import { DEFAULT_HAIR_TONE, HAIR_STYLES, hairMeshFor, isHairStyle, type HairShapeFit, type HairStyle } from '../hair/index.js';
import type { HairMesh, HairTone } from '../hair/hair-mesh.js';
import { parseHairColour } from '../hair/colour-space.js';
import { computeAvatarRig, jointPosition } from '../export/avatar-rig.js';
import { createEnvironmentTexture, environmentIntensity, isEnvironmentPreset, type EnvironmentPreset } from './environments.js';

export interface AvatarBones {
  neck: TransformNode;
  head: TransformNode;
  jaw: TransformNode;
  eyeLeft: TransformNode;
  eyeRight: TransformNode;
}

export interface AvatarParts {
  root: TransformNode;
  modelSpace: TransformNode;
  head: Mesh;
  eyes: Mesh[];
  otherMeshes: Mesh[];
  bones: AvatarBones;
  morphTargetManager: MorphTargetManager;
  skeleton: Skeleton;
  material: PBRMaterial;
  eyeMaterial: PBRMaterial | null;
  textures: BaseTexture[];
  /** The hair's mesh, material and texture when the avatar has hair. */
  hair?: HairInScene | null;
  /** Name prefix of the avatar's nodes (for the hair built later by setHair). */
  name?: string;
  /** The head's colours before the hair's shadow (AvatarArrays.mouthColours), for setHair to shade again. */
  mouthColours?: Float32Array | null;
}

/** Gaze limits of the eyes (radians): about what human eyes manage without turning the head. */
const MAX_EYE_YAW = (40 * Math.PI) / 180;
const MAX_EYE_PITCH = (30 * Math.PI) / 180;

export class Avatar {
  /** The node to position the avatar with (identity when built). */
  readonly root: TransformNode;
  /** Right- to left-handed conversion node under `root` (see the file comment). */
  readonly modelSpace: TransformNode;
  readonly head: Mesh;
  /** Eyeballs: subject's left, then right (those the model has). */
  readonly eyes: Mesh[];
  /** Other rigid parts (teeth...). */
  readonly otherMeshes: Mesh[];
  /**
   * The joints as transform nodes: neck > head > (jaw, eyeLeft, eyeRight), pivots at the joints.
   * Each drives the skeleton bone of the same name; rotate these (not the bones) to pose the head.
   */
  readonly bones: AvatarBones;
  /** One MorphTarget per expression mode, named after it, influence = weight. */
  readonly morphTargetManager: MorphTargetManager;
  /**
   * The head's skin: bones neck > head > (jaw, eyeLeft, eyeRight), each linked to the transform
   * node of the same joint in `bones`, so rotating `bones.jaw` opens the mouth and rotating
   * `bones.neck` / `bones.head` bends the neck. Morph targets apply before skinning.
   */
  readonly skeleton: Skeleton;
  readonly material: PBRMaterial;
  readonly eyeMaterial: PBRMaterial | null;
  readonly data: AvatarData;
  private readonly textures: BaseTexture[];
  private readonly targetsByName = new Map<string, MorphTarget>();
  /** blendshapeKey(name) -> target, for face-tracking input in either naming convention. */
  private readonly targetsByBlendshapeKey = new Map<string, MorphTarget>();
  /** The environment texture relight() generated last (owned, disposed on the next relight/dispose). */
  private ownedEnvironment: BaseTexture | null = null;
  private levelsOfDetail: MeshLevels[] = [];
  /** The ratios addLevelsOfDetail was last given (null: no levels), for the hair that setHair builds later. */
  private levelRatios: readonly number[] | null = null;
  private disposed = false;
  private hairInScene: HairInScene | null;
  private readonly name: string;
  private readonly mouthColours: Float32Array | null;

  constructor(data: AvatarData, parts: AvatarParts) {
    this.data = data;
    this.root = parts.root;
    this.modelSpace = parts.modelSpace;
    this.head = parts.head;
    this.eyes = parts.eyes;
    this.otherMeshes = parts.otherMeshes;
    this.bones = parts.bones;
    this.morphTargetManager = parts.morphTargetManager;
    this.skeleton = parts.skeleton;
    this.material = parts.material;
    this.eyeMaterial = parts.eyeMaterial;
    this.textures = parts.textures;
    this.hairInScene = parts.hair ?? null;
    this.name = parts.name ?? 'avatar';
    this.mouthColours = parts.mouthColours ?? null;
    for (let i = 0; i < this.morphTargetManager.numTargets; i++) {
      const target = this.morphTargetManager.getTarget(i);
      this.targetsByName.set(target.name, target);
      this.targetsByBlendshapeKey.set(blendshapeKey(target.name), target);
    }
  }

  /** Expression mode names, in morph target order. */
  get expressionNames(): string[] {
    return this.data.model.expressionNames;
  }

  /**
   * Identity coefficients (fixed), the current expression weights (a fresh copy), the 27 SH light
   * coefficients estimated from the photo (9 per channel, R, G, B), the albedo texture image and,
   * when the albedo came from a UV albedo model, its coefficients (R, then G, then B).
   */
  get coefficients(): {
    identity: Float32Array; expression: Float32Array; light: Float32Array; albedo: RgbaImage; albedoCoefficients?: Float32Array;
  } {
    const expression = new Float32Array(this.morphTargetManager.numTargets);
    for (let i = 0; i < expression.length; i++) expression[i] = this.morphTargetManager.getTarget(i).influence;
    const { identity, light, albedo, albedoCoefficients } = this.data;
    return { identity, expression, light, albedo, ...(albedoCoefficients ? { albedoCoefficients } : {}) };
  }

  /** The skin material settings that .avatar files keep (see ../avatar-file/format.ts). */
  get materialParameters(): AvatarMaterialParameters {
    const material = this.material;
    return {
      roughness: material.roughness ?? 1,
      metallic: material.metallic ?? 1,
      indexOfRefraction: material.indexOfRefraction,
      translucencyIntensity: material.subSurface.isTranslucencyEnabled ? material.subSurface.translucencyIntensity : 0,
    };
  }

  /** Applies stored material settings (the .avatar loader calls this after building). */
  applyMaterialParameters(parameters: AvatarMaterialParameters): void {
    this.material.roughness = parameters.roughness;
    this.material.metallic = parameters.metallic;
    this.material.indexOfRefraction = parameters.indexOfRefraction;
    this.material.subSurface.isTranslucencyEnabled = parameters.translucencyIntensity > 0;
    if (parameters.translucencyIntensity > 0) this.material.subSurface.translucencyIntensity = parameters.translucencyIntensity;
  }

  /** AvatarData with the expression weights currently shown (what the exporters write). */
  private currentData(): AvatarData {
    return { ...this.data, expression: this.coefficients.expression };
  }

  /**
   * The avatar as a compact .avatar file (coefficients, light, JPEG albedo, material settings;
   * the geometry is rebuilt from the model pack on load). The current expression is stored as
   * the avatar's expression.
   */
  serialize(options: Omit<WriteAvatarFileOptions, 'material'> = {}): Uint8Array<ArrayBuffer> {
    this.checkAlive();
    return writeAvatarFile(this.currentData(), { ...options, material: this.materialParameters });
  }

  /**
   * A self-contained glTF binary (meshes, joints, morph targets with names, textures), with the
   * current expression as default morph weights. Written by ../export/glb.ts straight from the
   * avatar data rather than through @babylonjs/serializers: it needs no engine or canvas (Node and
   * workers too), keeps morph target names in extras.targetNames, writes sparse morph deltas, and
   * is byte-for-byte the same as the CLI's -o x.glb.
   */
  exportGLB(options: GlbOptions = {}): Uint8Array {
    this.checkAlive();
    return writeGlb(this.currentData(), options);
  }

  /**
   * The same avatar as exportGLB() in a compact GLB for games (../export/compact-glb.ts): quantized
   * meshopt geometry and morph targets, WebP textures, three levels of detail (MSFT_lod). The same
   * bytes as the CLI's default -o x.glb. Loading it in Babylon needs useBundledMeshoptDecoder()
   * (or a served meshopt decoder), and the scene rather than an AssetContainer as destination
   * while MSFT_lod is on.
   *
   * In browsers it is written in the library's avatar worker (seconds of meshopt, WebP and
   * level-of-detail work that would otherwise freeze the page); `worker: false` writes it on this
   * thread. Where the worker cannot start it falls back to this thread with a console warning.
   */
  async exportCompactGLB(options: CompactGlbOptions & WorkerChoice = {}): Promise<Uint8Array> {
    this.checkAlive();
    // The GLB options alone cross to the worker.
    const { worker: _worker, workerTimeoutMs, ...glbOptions } = options;
    const data = this.currentData();
    return inWorkerOrHere(options, 'the compact GLB is written', () => writeCompactGlbInWorker(data, glbOptions, workerTimeoutMs), () => writeCompactGlb(data, glbOptions));
  }

  /**
   * The avatar as it is in the scene (root and its descendants only, nothing else in the scene),
   * written by @babylonjs/serializers: current pose, morph weights, material settings and anything
   * the application changed on these nodes. Morph target names go to extras.targetNames, the
   * skeleton becomes a glTF skin whose joints are the `bones` nodes, and vertex data comes out
   * right-handed with the same world-space positions as in the scene.
   *
   * Which one to use: exportGLB() for a GLB of the avatar as built (Node without a scene, the CLI,
   * workers, smaller files with sparse morph deltas, names 'neck', 'headMesh'...); this one for the
   * live scene state on a real engine.
   *
   * Textures are read back from the GPU and encoded as PNG by the serializer, which needs a
   * rendering engine and a canvas. NullEngine has neither (and never marks RawTextures ready, so
   * the serializer would wait forever), so there this rejects unless `textures: false`, which
   * writes the materials without textures: the texture slots are detached for the export and put
   * back afterwards (a frame rendered meanwhile would show the avatar untextured).
   */
  async exportSceneGLB(options: { textures?: boolean } = {}): Promise<Uint8Array> {
    this.checkAlive();
    const scene = this.head.getScene();
    const withTextures = options.textures ?? true;
    // instanceof: NullEngine's getClassName() says 'ThinEngine'.
    if (withTextures && scene.getEngine() instanceof NullEngine) {
      throw new PhotoAvatarError(
        'INVALID_ARGUMENT',
        'exportSceneGLB cannot read textures back on NullEngine; use exportGLB() for a textured GLB, or exportSceneGLB({ textures: false }).',
      );
    }
    const nodes = new Set<Node>([this.root, ...this.root.getDescendants(false)]);
    // Every textured material: skin, eyes, the strand cards (lashes, brows, hair) and the mouth parts' occlusion.
    const materials = [...new Set([this.material, this.eyeMaterial, ...this.otherMeshes.map((m) => m.material), this.hairInScene?.material ?? null])]
      .filter((m): m is PBRMaterial => m?.getClassName() === 'PBRMaterial');
    const detached = withTextures ? [] : materials.map((m) => ({ material: m, albedo: m.albedoTexture, metallic: m.metallicTexture, ambient: m.ambientTexture }));
    for (const { material } of detached) {
      material.albedoTexture = null;
      material.metallicTexture = null;
      material.ambientTexture = null;
    }
    try {
      const exported = await GLTF2Export.GLBAsync(scene, `${this.root.name}.glb`, {
        shouldExportNode: (node) => nodes.has(node),
        // The serializer waits for each exported texture itself; waiting for the whole scene would
        // tie the export to unrelated content (and never finish on NullEngine).
        exportWithoutWaitingForScene: true,
      });
      const file = Object.entries(exported.files).find(([fileName]) => fileName.endsWith('.glb'))?.[1];
      if (!(file instanceof Blob)) throw new Error('The glTF serializer returned no .glb file.');
      return new Uint8Array(await file.arrayBuffer());
    } finally {
      for (const { material, albedo, metallic, ambient } of detached) {
        material.albedoTexture = albedo;
        material.metallicTexture = metallic;
        material.ambientTexture = ambient;
      }
    }
  }

  /**
   * Adds levels of detail to the head, eyes, other parts and hair (setHair makes the new hair's) through Babylon's addLODLevel: by
   * default 50 % and 25 % of the triangles, the compact GLB's MSFT_lod ratios (simplified from this
   * avatar's shape; the GLB's come from the model's rest shape, lod.ts modelLevels), shown
   * when the mesh covers under 10 % and under 2 % of the viewport (see avatar-lods.ts). Every level
   * shares the morph targets, skeleton and material, so expressions and bones keep working.
   * Calling it again replaces the levels.
   */
  async addLevelsOfDetail(ratios: readonly number[] = DEFAULT_LOD_RATIOS): Promise<MeshLevels[]> {
    this.checkAlive();
    if (!ratios.every((ratio) => ratio > 0 && ratio < 1)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Level-of-detail ratios must be between 0 and 1 (exclusive), got ${ratios.join(', ')}.`);
    await lodSimplifierReady;
    this.checkAlive();
    this.removeLevelsOfDetail();
    this.levelsOfDetail = addLevelsOfDetail([this.head, ...this.eyes, ...this.otherMeshes], ratios);
    this.levelRatios = ratios.slice();
    this.addHairLevels();
    return this.levelsOfDetail;
  }

  /** The hair's levels, where the avatar has levels and hair. */
  private addHairLevels(): void {
    if (this.levelRatios && this.hairInScene && this.data.hair?.mesh) this.levelsOfDetail.push(addHairLevelsOfDetail(this.hairInScene.mesh, this.data.hair.mesh, this.levelRatios));
  }

  /** Removes the levels of `meshes` (default: every mesh's). */
  private removeLevelsOfDetail(meshes?: readonly Mesh[]): void {
    const removed = this.levelsOfDetail.filter(({ mesh }) => !meshes || meshes.includes(mesh));
    for (const { mesh, levels } of removed) {
      for (const level of levels) {
        mesh.removeLODLevel(level);
        // The level shares the full mesh's skeleton, morph targets and material: detach, then dispose the mesh alone.
        level.skeleton = null;
        level.morphTargetManager = null;
        level.dispose(false, false);
      }
    }
    this.levelsOfDetail = this.levelsOfDetail.filter((entry) => !removed.includes(entry));
  }

  /**
   * Drives the morph targets from face-tracking output: an ARKit-style record
   * ({ jawOpen: 0.4, eyeBlinkLeft: 1 }) or MediaPipe FaceLandmarker categories
   * (result.faceBlendshapes[0].categories). Names match case-insensitively and in either
   * convention ('eyeBlinkLeft' drives a pack's 'eyeBlink_L'); names the pack lacks (MediaPipe's
   * '_neutral', for example) are skipped. Targets not mentioned keep their weight. Returns the
   * number of morph targets set.
   */
  applyARKitBlendshapes(blendshapes: BlendshapeInput): number {
    const entries = blendshapeEntries(blendshapes);
    for (const [name, weight] of entries) {
      if (!Number.isFinite(weight)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Blendshape '${name}' must have a finite weight, got ${weight}.`);
    }
    let applied = 0;
    for (const [name, weight] of entries) {
      const target = this.targetsByName.get(name) ?? this.targetsByBlendshapeKey.get(blendshapeKey(name));
      if (!target) continue;
      target.influence = weight;
      applied++;
    }
    return applied;
  }

  /**
   * Changes the scene's image-based lighting: a procedural 'studio', 'outdoor' or dim 'indoor'
   * environment (generated, nothing downloaded; see environments.ts), or any environment texture
   * of your own. This sets scene.environmentTexture (and for presets scene.environmentIntensity),
   * so it lights everything PBR in the scene, as environments do.
   */
  relight(environment: EnvironmentPreset | BaseTexture): void {
    this.checkAlive();
    const scene = this.head.getScene();
    let texture: BaseTexture;
    if (isEnvironmentPreset(environment)) {
      texture = createEnvironmentTexture(scene, environment);
      scene.environmentIntensity = environmentIntensity(environment);
    } else if (environment instanceof BaseTexture) {
      texture = environment;
    } else {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Unknown environment '${String(environment)}'; use 'studio', 'outdoor', 'indoor' or a texture.`);
    }
    const previous = this.ownedEnvironment;
    scene.environmentTexture = texture;
    this.ownedEnvironment = isEnvironmentPreset(environment) ? texture : null;
    if (previous && previous !== texture) previous.dispose();
  }

  getExpression(name: string): number {
    return this.targetNamed(name).influence;
  }

  /** Sets one expression weight (0 = neutral, 1 = the full expression). */
  setExpression(name: string, weight: number): void {
    if (!Number.isFinite(weight)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Expression weight for '${name}' must be a finite number, got ${weight}.`);
    this.targetNamed(name).influence = weight;
  }

  /** Sets all expression weights at once, in expressionNames order. */
  setExpressionCoefficients(values: ArrayLike<number>): void {
    const count = this.morphTargetManager.numTargets;
    if (values.length !== count) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Expected ${count} expression coefficients, got ${values.length}.`);
    }
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(values[i])) throw new PhotoAvatarError('INVALID_ARGUMENT', `Expression coefficient ${i} is not a finite number.`);
    }
    for (let i = 0; i < count; i++) this.morphTargetManager.getTarget(i).influence = values[i];
  }

  /** Back to the expression fitted to the photo. */
  resetExpression(): void {
    this.setExpressionCoefficients(this.data.expression);
  }

  /**
   * Turns both eyes towards a world-space point (clamped to a natural range). Works in any
   * handedness and under any root transform: the target is taken into each eye's parent space,
   * where the rest gaze is +Z.
   */
  lookAt(target: Vector3): void {
    const inverse = new Matrix();
    const local = new Vector3();
    for (const eye of [this.bones.eyeLeft, this.bones.eyeRight]) {
      const parent = eye.parent as TransformNode;
      parent.computeWorldMatrix(true).invertToRef(inverse);
      Vector3.TransformCoordinatesToRef(target, inverse, local);
      local.subtractInPlace(eye.position);
      const length = local.length();
      if (!(length > 1e-9)) continue;
      const yaw = Math.max(-MAX_EYE_YAW, Math.min(MAX_EYE_YAW, Math.atan2(local.x, local.z)));
      const pitch = Math.max(-MAX_EYE_PITCH, Math.min(MAX_EYE_PITCH, -Math.asin(local.y / length)));
      eye.rotationQuaternion = Quaternion.RotationYawPitchRoll(yaw, pitch, 0);
    }
  }

  /**
   * Browser only: a webcam drives the avatar live (expression, head rotation, gaze; see
   * ../tracking/live.ts). `source` is a playing <video> or a MediaStream (getUserMedia). Listen
   * for per-frame 'frame' events (detail: frame, latencyMs, fps); `stop()` ends it.
   */
  trackFace(source: HTMLVideoElement | MediaStream, options: LiveTrackingOptions = {}): Promise<LiveFaceTracker> {
    this.checkAlive();
    return trackLive(this, source, options);
  }

  /** Eyes back to looking straight ahead. */
  resetGaze(): void {
    this.bones.eyeLeft.rotationQuaternion = Quaternion.Identity();
    this.bones.eyeRight.rotationQuaternion = Quaternion.Identity();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The hair mesh in the scene (null without hair). */
  get hairMesh(): Mesh | null {
    return this.hairInScene?.mesh ?? null;
  }

  /** The hair styles setHair accepts (CC0 MakeHuman meshes). */
  static readonly hairStyles: readonly HairStyle[] = HAIR_STYLES;

  /**
   * Puts a hair style on the avatar (null removes the hair), fitted to its head and tinted with its
   * hair colour (the photo's, or the last setHairColor). Only MakeHuman-built heads take hair: with
   * another head this rejects with UNSUPPORTED_MODEL_PACK. Exports and serialize() follow. In
   * browsers the fit runs in the avatar worker (`worker: false`: on this thread), as exportCompactGLB.
   */
  async setHair(style: HairStyle | null, options: WorkerChoice = {}): Promise<void> {
    this.checkAlive();
    if (style !== null && !isHairStyle(style)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Unknown hair style "${style}": use one of ${HAIR_STYLES.join(', ')} or null.`);
    const tone = this.data.hair ?? DEFAULT_HAIR_TONE;
    // The hairline's turn and the volume were fitted to the photo for the style it came with (hair/hairline.ts, hair/volume.ts).
    const ownStyle = style !== null && style === this.data.hair?.style;
    const fit: HairShapeFit = { hairlineTurn: ownStyle ? this.data.hair?.hairlineTurn : undefined, volume: ownStyle ? this.data.hair?.volume : undefined };
    const fitted = style ? await this.fittedHair(style, tone, fit, options) : undefined;
    this.checkAlive();
    this.data.hair = { ...(this.data.hair ?? {}), style, base: tone.base, root: tone.root, ...fit, mesh: fitted?.mesh, unavailable: undefined };
    this.rebuildHair(fitted?.arrays);
  }

  /**
   * Sets the hair colour: sRGB 0..255 or a CSS hex string ('#6a3c33'); the root tone keeps the
   * photo's ratio of root to base (or 60 % of the base). Rebuilds the tinted texture.
   */
  async setHairColor(color: readonly [number, number, number] | string, options: WorkerChoice = {}): Promise<void> {
    this.checkAlive();
    const base = parseHairColour(color);
    const old = this.data.hair ?? { ...DEFAULT_HAIR_TONE, style: null };
    const ratio = [0, 1, 2].map((c) => (old.base[c] > 1e-4 ? Math.min(1, old.root[c] / old.base[c]) : 0.6));
    const tone = { base, root: base.map((v, c) => v * ratio[c]) as [number, number, number] };
    const fitted = old.style ? await this.fittedHair(old.style, tone, old, options) : undefined;
    this.checkAlive();
    this.data.hair = { ...old, ...tone, mesh: fitted?.mesh };
    this.rebuildHair(fitted?.arrays);
  }

  /** The hair style fitted to this head with `tone`, and its vertex data: in the avatar worker where it runs. */
  private fittedHair(style: HairStyle, tone: HairTone, fit: HairShapeFit, options: WorkerChoice): Promise<{ mesh: HairMesh; arrays: HairArrays }> {
    const { model, neutralVertices } = this.data;
    // The two numbers alone: `fit` may be the whole AvatarHair, mesh included, which the worker does not need.
    const placement: HairShapeFit = { hairlineTurn: fit.hairlineTurn, volume: fit.volume };
    return inWorkerOrHere(options, 'the hair is fitted', () => hairMeshInWorker(style, model, neutralVertices, tone, placement, options.workerTimeoutMs), async () => {
      const mesh = await hairMeshFor(style, model, neutralVertices, tone, placement);
      return { mesh, arrays: hairArrays(mesh, model, neutralVertices) };
    });
  }

  private rebuildHair(arrays?: HairArrays): void {
    if (this.hairInScene) {
      this.removeLevelsOfDetail([this.hairInScene.mesh]);
      this.hairInScene.mesh.dispose(false, false);
      this.hairInScene.material.dispose(true, true);
      this.hairInScene.texture.dispose();
      this.hairInScene = null;
    }
    const hair = this.data.hair;
    const hairArraysNow = hair?.mesh ? arrays ?? hairArrays(hair.mesh, this.data.model, this.data.neutralVertices) : null;
    this.shadeHead(hairArraysNow?.headShade ?? null);
    if (!hair?.mesh || !hairArraysNow) return;
    const headPivot = jointPosition(computeAvatarRig(this.data.model, this.data.neutralVertices), 'head');
    this.hairInScene = addHairToScene(this.root.getScene(), this.name, hair.mesh, hairArraysNow, this.bones.head, headPivot);
    this.addHairLevels();
  }

  /** The head's colours (and its levels of detail's, which copy them) with the shadow of the hair now on it: `hairShade`, or none. */
  private shadeHead(hairShade: Float32Array | null): void {
    const colours = headColourBuffer(this.mouthColours, hairShade);
    const meshes = [this.head, ...(this.levelsOfDetail.find((l) => l.mesh === this.head)?.levels ?? [])];
    for (const mesh of meshes) {
      if (colours) mesh.setVerticesData(VertexBuffer.ColorKind, colours, false, 4);
      else if (mesh.isVerticesDataPresent(VertexBuffer.ColorKind)) mesh.removeVerticesData(VertexBuffer.ColorKind);
    }
  }

  /** Removes every mesh, node, material, texture and the morph target manager from the scene. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.removeLevelsOfDetail();
    if (this.hairInScene) {
      this.hairInScene.material.dispose(true, true);
      this.hairInScene.texture.dispose();
    }
    const materials: Material[] = [this.material];
    if (this.eyeMaterial) materials.push(this.eyeMaterial);
    for (const mesh of this.otherMeshes) if (mesh.material && !materials.includes(mesh.material)) materials.push(mesh.material);
    this.head.morphTargetManager = null;
    this.morphTargetManager.dispose();
    // Parts that move with an expression (lower teeth, tongue) have their own managers.
    for (const mesh of this.otherMeshes) {
      mesh.morphTargetManager?.dispose();
      mesh.morphTargetManager = null;
    }
    this.head.skeleton = null;
    this.skeleton.dispose();
    // Disposing the root takes the whole hierarchy (bones and meshes) with it.
    this.root.dispose(false, false);
    for (const material of materials) material.dispose(true, true);
    for (const texture of this.textures) texture.dispose();
    this.targetsByName.clear();
    this.targetsByBlendshapeKey.clear();
    if (this.ownedEnvironment) {
      const scene = this.ownedEnvironment.getScene();
      if (scene && scene.environmentTexture === this.ownedEnvironment) scene.environmentTexture = null;
      this.ownedEnvironment.dispose();
      this.ownedEnvironment = null;
    }
  }

  private checkAlive(): void {
    if (this.disposed) throw new PhotoAvatarError('INVALID_ARGUMENT', 'This avatar has been disposed.');
  }

  private targetNamed(name: string): MorphTarget {
    const target = this.targetsByName.get(name);
    if (!target) {
      const known = this.expressionNames.length ? this.expressionNames.join(', ') : '(none)';
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Unknown expression '${name}'. Known expressions: ${known}.`);
    }
    return target;
  }
}
