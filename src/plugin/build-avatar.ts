/**
 * AvatarData -> Babylon objects: the same node layout as the GLB writer (../export/avatar-rig.ts),
 * with vertex data in model space and the handedness conversion in one node (see avatar.ts).
 */
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import '@babylonjs/core/Rendering/prePassRendererSceneComponent.js';
import '@babylonjs/core/Rendering/subSurfaceSceneComponent.js';
// WebGPUEngine ships its extensions separately: the skin's opt-in scattering prepass needs
// multiple render targets, and screenshot/post-process helpers need the WGSL post-process vertex
// shader registered up front (else createMultipleRenderTarget is missing on the first frame).
import '@babylonjs/core/Engines/WebGPU/Extensions/engine.multiRender.js';
import '@babylonjs/core/ShadersWGSL/postprocess.vertex.js';
import { Bone } from '@babylonjs/core/Bones/bone.js';
import { Skeleton } from '@babylonjs/core/Bones/skeleton.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import type { Material } from '@babylonjs/core/Materials/material.js';
import { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import type { BaseTexture } from '@babylonjs/core/Materials/Textures/baseTexture.js';
import type { RawTexture } from '@babylonjs/core/Materials/Textures/rawTexture.js';
import { Color3 } from '@babylonjs/core/Maths/math.color.js';
import { Matrix, Quaternion, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import { MorphTarget } from '@babylonjs/core/Morph/morphTarget.js';
import { MorphTargetManager } from '@babylonjs/core/Morph/morphTargetManager.js';
import type { Scene } from '@babylonjs/core/scene.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { jointPosition, type AvatarRig, type JointName } from '../export/avatar-rig.js';
import type { SubMesh } from '../modelpack/head-model.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { Avatar, type AvatarBones } from './avatar.js';
import { headColourBuffer, prepareAvatarArrays, rigParts, type AvatarArrayOptions, type AvatarArrays, type PartArrays } from './build-arrays.js';
import { nextTask, runSteps, runStepsInSlices, type SliceOptions, type Steps, type StepsReport } from '../steps.js';
import { createMesh, rgbaTexture } from './scene-meshes.js';
import { SteppedMorphTargetManager } from './morph-texture.js';
import { addHairToScene, hairMaterial } from './hair-mesh.js';
import { bakedTeethArch, MOUTH_ROUGHNESS, mouthSurface, OCCLUSION_RAMP, TONGUE_SPECULAR_WEIGHT } from '../materials/mouth-parts.js';

export interface BuildAvatarOptions extends AvatarArrayOptions {
  /** Name prefix of every node, mesh and material (default 'avatar'). */
  name?: string;
  /**
   * Skin subsurface: 'translucency' (default) lets light through thin parts (ears, nostrils);
   * 'scattering' adds Babylon's screen-space subsurface scattering where the engine supports its
   * prepass renderer (WebGL2/WebGPU; never on NullEngine); 'off' plain PBR.
   *
   * Scattering is not the default: Babylon's prepass renders every material into its buffers,
   * the blended lashes, brows and hair edges too, and the scattering pass then cuts them into
   * hard-edged patches (the lashes read as black spikes); its render target is also drawn without
   * the canvas's antialiasing, and it turns image processing into a post-process, which tints the
   * scene's clear colour.
   */
  subsurface?: 'scattering' | 'translucency' | 'off';
  /**
   * buildAvatarInSlices only: compile the meshes' shaders one per task before showing the avatar
   * (default true), rather than all in the task of its first frame.
   */
  compileShaders?: boolean;
}

function checkData(data: AvatarData): void {
  const { model } = data;
  const n3 = model.vertexCount * 3;
  if (data.neutralVertices.length !== n3) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Avatar data has ${data.neutralVertices.length} vertex values; the model needs ${n3}.`);
  }
  if (model.expressionBasis.length !== model.expressionNames.length * n3 || data.expression.length !== model.expressionNames.length) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'Avatar data: expression weights, names and basis sizes disagree.');
  }
  if (data.albedo.data.length < data.albedo.width * data.albedo.height * 4 || !(data.albedo.width > 0)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'Avatar data: the albedo image is empty or truncated.');
  }
}

function skinMaterial(name: string, scene: Scene, albedo: BaseTexture, roughnessMap: BaseTexture | null, subsurface: BuildAvatarOptions['subsurface']): PBRMaterial {
  const material = new PBRMaterial(name, scene);
  material.albedoTexture = albedo;
  material.metallic = 0;
  material.roughness = 0.55;
  if (roughnessMap) {
    // glTF packing (G roughness, B metallic); the factors multiply the map, so roughness 1 shows it as is.
    material.metallicTexture = roughnessMap;
    material.useRoughnessFromMetallicTextureAlpha = false;
    material.useRoughnessFromMetallicTextureGreen = true;
    material.useMetallnessFromMetallicTextureBlue = true;
    material.roughness = 1;
    // Its red channel is the mouth's occlusion (../materials/roughness.ts), which also dims the
    // environment's reflections there (Babylon's radiance occlusion, on by default).
    material.useAmbientOcclusionFromMetallicTextureRed = true;
  }
  // Skin reflects ~2.8% at normal incidence (IOR ~1.4) rather than the 4% of the default IOR 1.5.
  material.indexOfRefraction = 1.4;
  if (subsurface !== 'off') {
    // Light bleeding through thin parts (ears, nostrils) tinted like blood-filled tissue.
    material.subSurface.isTranslucencyEnabled = true;
    material.subSurface.translucencyIntensity = 0.35;
    material.subSurface.tintColor = new Color3(1.0, 0.38, 0.25);
    material.subSurface.minimumThickness = 0.002;
    material.subSurface.maximumThickness = 0.02;
    const engine = scene.getEngine();
    const canScatter = subsurface === 'scattering' && !(engine instanceof NullEngine) && engine.getCaps().drawBuffersExtension;
    if (canScatter && scene.enableSubSurfaceForPrePass()) {
      material.subSurface.isScatteringEnabled = true;
      material.subSurface.scatteringDiffusionProfile = new Color3(0.75, 0.25, 0.2);
    }
  }
  return material;
}

/**
 * Lashes and brows: the hair's strand material, blended without its alpha test. Their strands are a
 * texel or two wide and mostly translucent: a test at the hair's cut-off drops half the brows'
 * coverage at full resolution, and more at the mip levels a face on screen uses; blended, they keep
 * it. Each is one layer of cards over the skin, so the missing depth write sorts nothing wrong.
 */
function faceCardMaterial(name: string, scene: Scene, texture: RawTexture): PBRMaterial {
  const material = hairMaterial(name, scene, texture);
  material.transparencyMode = PBRMaterial.PBRMATERIAL_ALPHABLEND;
  return material;
}

function eyeMaterialFor(name: string, scene: Scene, texture: BaseTexture): PBRMaterial {
  const material = new PBRMaterial(name, scene);
  material.albedoTexture = texture;
  material.metallic = 0;
  material.roughness = 0.35;
  // The cornea: a glossy coat over the diffuse iris and sclera gives the catch-light.
  material.clearCoat.isEnabled = true;
  material.clearCoat.roughness = 0.05;
  return material;
}

/**
 * A Babylon skeleton over the joint transform nodes: each bone is linked to its node, so turning
 * a node (avatar.bones.jaw, lookAt on the eyes) poses the skin. Bone names are the rig's joint
 * names (as in the GLB skin, so a re-imported GLB has the same bones).
 */
function createSkeleton(name: string, scene: Scene, rig: AvatarRig, nodes: AvatarBones): Skeleton {
  const skeleton = new Skeleton(`${name}.skeleton`, `${name}.skeleton`, scene);
  const bonesByJoint = new Map<JointName, Bone>();
  rig.joints.forEach((joint, index) => {
    const parentPosition = joint.parent ? jointPosition(rig, joint.parent) : [0, 0, 0];
    const rest = Matrix.Translation(joint.position[0] - parentPosition[0], joint.position[1] - parentPosition[1], joint.position[2] - parentPosition[2]);
    const parent = joint.parent ? bonesByJoint.get(joint.parent)! : null;
    const bone = new Bone(joint.name, skeleton, parent, rest, rest.clone(), rest.clone(), index);
    bone.linkTransformNode(nodes[joint.name]);
    bonesByJoint.set(joint.name, bone);
  });
  return skeleton;
}

/**
 * A part's morph targets (the lower teeth and tongue on jawOpen), each following the head's target
 * of the same name, so setting an expression on the avatar moves the part with the head.
 */
function partMorphs(scene: Scene, part: SubMesh, morphs: NonNullable<PartArrays['morphs']>, headTargets: MorphTargetManager): MorphTargetManager {
  const manager = new MorphTargetManager(scene);
  manager.areUpdatesFrozen = true;
  const size = part.positions.length;
  part.morphs!.names.forEach((targetName, k) => {
    const head = headTargets.getTargetByName(targetName);
    const target = new MorphTarget(targetName, head?.influence ?? 0, scene);
    target.setPositions(morphs.positions.subarray(k * size, (k + 1) * size));
    target.setNormals(morphs.normals.subarray(k * size, (k + 1) * size));
    head?.onInfluenceChanged.add(() => { target.influence = head.influence; });
    manager.addTarget(target);
  });
  manager.areUpdatesFrozen = false;
  return manager;
}

/**
 * Builds the avatar's meshes, bones, morph targets and materials in `scene`, in this task.
 * `arrays`: what prepareAvatarArrays(data, options) returned, computed elsewhere (the avatar worker
 * does); computed here when absent. buildAvatarInSlices does the same work in short tasks.
 */
export function buildAvatar(scene: Scene, data: AvatarData, options: BuildAvatarOptions = {}, arrays?: AvatarArrays): Avatar {
  return runSteps(avatarBuildSteps(scene, data, options, arrays ?? prepareAvatarArrays(data, options)));
}

/**
 * buildAvatar in short tasks: the same Babylon objects, built step by step (each texture upload,
 * mesh, morph target set, material...) with a yield to the event loop whenever `budgetMs` of steps
 * have run, so frames keep coming while a large avatar is built. The avatar's root stays disabled
 * (nothing of it is drawn half-built) until the last step. On abort everything built so far is
 * disposed and the promise rejects with ABORTED. The morph-target texture (all targets' positions
 * and normals, 29 MB for the default head's 52 targets) is filled a target per step and uploaded in
 * one (morph-texture.ts); then the meshes' shaders are compiled one mesh per task while the avatar
 * is still hidden (`compileShaders`), so its first frame finds them ready. What stays whole: that
 * upload and each shader's processing and compilation (one task per new shader variant; on
 * SwiftShader's WebGL2, which lacks KHR_parallel_shader_compile, each link blocks the thread).
 */
export async function buildAvatarInSlices(
  scene: Scene, data: AvatarData, arrays: AvatarArrays, options: BuildAvatarOptions & SliceOptions = {},
): Promise<{ avatar: Avatar; report: StepsReport }> {
  const { result: avatar, report } = await runStepsInSlices(avatarBuildSteps(scene, data, options, arrays, { hidden: true }), options);
  try {
    if (options.compileShaders ?? true) await compileMaterialsInTurn(avatar, options.signal);
  } catch (error) {
    avatar.dispose();
    throw error;
  }
  avatar.root.setEnabled(true);
  return { avatar, report };
}

/**
 * Compiles the shader of each of the avatar's meshes, one mesh per task, while it is still hidden.
 * Left to the first frame that draws the avatar, every new shader of the page is processed and
 * compiled in that frame's task (hundreds of ms the first time; variants already compiled, as for
 * later avatars, cost nothing here). Nothing to compile on NullEngine.
 */
async function compileMaterialsInTurn(avatar: Avatar, signal?: AbortSignal): Promise<void> {
  const scene = avatar.root.getScene();
  if (scene.getEngine() instanceof NullEngine) return;
  bringPrePassUpToDate(scene);
  for (const mesh of avatar.root.getChildMeshes(false)) {
    // mesh.isReady(true) prepares each real submesh's shader as the render will (the same defines,
    // kept on the submesh). It compiles once the shader's code has loaded: poll until then, and
    // leave a mesh that is still not ready after SHADER_WAIT_MS to the first frame.
    const deadline = performance.now() + SHADER_WAIT_MS;
    while (!mesh.isReady(true) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 16));
      throwIfAborted(signal);
    }
    await nextTask();
    throwIfAborted(signal);
  }
}

const SHADER_WAIT_MS = 10_000;

/**
 * The skin's subsurface scattering (subsurface: 'scattering') turns Babylon's prepass renderer on, which changes every
 * material's shader: multiple outputs, and image processing moved to a post-process. Both happen
 * in the next frame (PrePassRenderer.update, then _setupOutputForThisPass sets applyByPostProcess
 * for its composition pass); done here first, the shaders compiled ahead are the first frame's.
 */
function bringPrePassUpToDate(scene: Scene): void {
  const prePass = scene.prePassRenderer;
  if (!prePass) return;
  prePass.update();
  const needsComposition = prePass.enabled && !prePass.disableGammaTransform
    && (prePass as unknown as { _needsImageProcessing(): boolean })._needsImageProcessing();
  if (needsComposition) scene.imageProcessingConfiguration.applyByPostProcess = true;
}

/**
 * The build as steps (see ../steps.ts); each yield is a point where the page may draw a frame.
 * `hidden`: the root stays disabled (the caller enables it). If the steps stop early (abort, error),
 * what they built is disposed.
 */
function* avatarBuildSteps(scene: Scene, data: AvatarData, options: BuildAvatarOptions, arrays: AvatarArrays, { hidden = false } = {}): Steps<Avatar> {
  checkData(data);
  const { model } = data;
  const name = options.name ?? 'avatar';
  const subsurface = options.subsurface ?? 'translucency';
  const { rig, neutralNormals, targetPositions, targetNormals, skin, mouthColours, roughness, eyeTexture: eyeImage } = arrays;
  const albedoImage = arrays.albedo ?? data.albedo;
  const textures: BaseTexture[] = [];
  /** Everything not under the root (which takes its nodes and meshes with it), for disposal if the steps stop early. */
  const owned: { dispose(): void }[] = [];
  const own = <T extends { dispose(): void }>(thing: T): T => {
    owned.push(thing);
    return thing;
  };
  const texture = (image: RgbaImage, label: string, mipmaps = true): RawTexture => {
    const made = own(rgbaTexture(image, `${name}.${label}`, scene, mipmaps));
    textures.push(made);
    return made;
  };

  const root = new TransformNode(name, scene);
  if (hidden) root.setEnabled(false);
  let finished = false;
  try {
    const modelSpace = new TransformNode(`${name}.modelSpace`, scene);
    modelSpace.parent = root;
    if (!scene.useRightHandedSystem) {
      // Same conversion as Babylon's glTF loader __root__ node: 180° about Y, then z mirrored.
      modelSpace.rotationQuaternion = new Quaternion(0, 1, 0, 0);
      modelSpace.scaling = new Vector3(1, 1, -1);
    }

    const bones = {} as AvatarBones;
    for (const joint of rig.joints) {
      const node = new TransformNode(`${name}.${joint.name}`, scene);
      const parentPosition = joint.parent ? jointPosition(rig, joint.parent) : [0, 0, 0];
      node.parent = joint.parent ? bones[joint.parent] : modelSpace;
      node.position = new Vector3(joint.position[0] - parentPosition[0], joint.position[1] - parentPosition[1], joint.position[2] - parentPosition[2]);
      node.rotationQuaternion = Quaternion.Identity();
      bones[joint.name] = node;
    }
    /** Parents a model-space mesh to a joint while keeping its vertices in model space. */
    const attach = (mesh: Mesh, jointName: JointName): void => {
      const pivot = jointPosition(rig, jointName);
      mesh.parent = bones[jointName];
      mesh.position = new Vector3(-pivot[0], -pivot[1], -pivot[2]);
    };
    yield 'nodes';

    // Head with morph targets (absolute target positions and normals, as Babylon stores them).
    const albedo = texture(albedoImage, 'albedo');
    yield 'albedo texture';
    const roughnessTexture = roughness ? texture(roughness, 'roughness') : null;
    yield 'roughness texture';
    const material = own(skinMaterial(`${name}.skin`, scene, albedo, roughnessTexture, subsurface));
    yield 'skin material';
    const head = createMesh(`${name}.head`, scene, data.neutralVertices.slice(), model.indices, model.uvs.slice(), neutralNormals);
    head.material = material;
    // Skinned: vertices stay in model space under modelSpace, where the bones' absolute matrices live.
    head.parent = modelSpace;
    yield 'head mesh';
    const skeleton = own(createSkeleton(name, scene, rig, bones));
    head.setVerticesData(VertexBuffer.MatricesIndicesKind, skin.joints, false, 4);
    head.setVerticesData(VertexBuffer.MatricesWeightsKind, skin.weights, false, 4);
    head.numBoneInfluencers = 3;
    head.skeleton = skeleton;
    const headColours = headColourBuffer(mouthColours, arrays.hair?.headShade ?? null);
    if (headColours) head.setVerticesData(VertexBuffer.ColorKind, headColours, false, 4);
    yield 'skin weights';
    const manager = own(new SteppedMorphTargetManager(scene));
    // Each added target would otherwise rebuild and re-upload the texture of all targets so far
    // (quadratic: 28 s of main thread for 52 targets in Chromium on SwiftShader); one build at the end,
    // its texture filled here a target per step, so that the unfreeze only uploads it.
    manager.areUpdatesFrozen = true;
    const n3 = model.vertexCount * 3;
    const targetTexture = manager.startPacking(model.vertexCount, model.expressionNames.length, !!targetNormals);
    for (let k = 0; k < model.expressionNames.length; k++) {
      const target = new MorphTarget(model.expressionNames[k], data.expression[k], scene);
      const positions = targetPositions.subarray(k * n3, (k + 1) * n3);
      const normals = targetNormals ? targetNormals.subarray(k * n3, (k + 1) * n3) : null;
      target.setPositions(positions);
      if (normals) target.setNormals(normals);
      manager.addTarget(target);
      targetTexture?.packLayer(k, positions, normals);
      yield 'morph target';
    }
    manager.areUpdatesFrozen = false;
    // A manager without targets would only cost a shader variant.
    if (manager.numTargets > 0) head.morphTargetManager = manager;
    yield 'morph target texture';

    // Eyes and other parts, with the vertex data the worker prepared (arrays.parts, in rigParts order).
    const partArrays = new Map(rigParts(rig).map((part, i) => [part, arrays.parts[i]]));
    const addPart = (part: SubMesh, partMaterial: Material, jointName: JointName): Mesh => {
      const { normals, uvs, morphs, colours } = partArrays.get(part)!;
      const mesh = createMesh(`${name}.${part.name}`, scene, part.positions.slice(), part.indices, uvs, normals);
      mesh.material = partMaterial;
      if (colours && partMaterial !== material) mesh.setVerticesData(VertexBuffer.ColorKind, colours, false, 4);
      attach(mesh, jointName);
      if (morphs) mesh.morphTargetManager = own(partMorphs(scene, part, morphs, manager));
      return mesh;
    };
    const eyes: Mesh[] = [];
    let eyeMaterial: PBRMaterial | null = null;
    if (eyeImage && (rig.eyeLeft || rig.eyeRight)) {
      eyeMaterial = own(eyeMaterialFor(`${name}.eye`, scene, texture(eyeImage, 'eyeTexture')));
      yield 'eye texture';
      for (const [jointName, part] of [['eyeLeft', rig.eyeLeft], ['eyeRight', rig.eyeRight]] as const) {
        if (!part) continue;
        eyes.push(addPart(part, eyeMaterial, jointName));
        yield 'eye mesh';
      }
    }
    const otherMeshes: Mesh[] = [];
    // Teeth and tongue: a material per surface (../materials/mouth-parts.ts); parts with baked albedo
    // (vertex colours) over white, the others a plain ivory (as in the GLB).
    const mouthMaterials = new Map<string, PBRMaterial>();
    for (const part of rig.otherParts) {
      let partMaterial: Material = material;
      const { cardTexture, colours } = partArrays.get(part)!;
      if (cardTexture) {
        // Lashes and brows: strand cards like the hair, tinted (../hair/face-cards.ts).
        partMaterial = own(faceCardMaterial(`${name}.${part.name}`, scene, texture(cardTexture, `${part.name}Texture`)));
        yield 'card texture';
      } else if (part.material !== 'skin') {
        const coloured = colours !== null;
        const surface = mouthSurface(part);
        const key = `${surface} ${coloured}`;
        let mouthMaterial = mouthMaterials.get(key);
        if (!mouthMaterial) {
          mouthMaterial = own(new PBRMaterial(`${name}.${surface}`, scene));
          mouthMaterial.albedoColor = coloured ? new Color3(1, 1, 1) : new Color3(0.85, 0.82, 0.74);
          mouthMaterial.metallic = 0;
          mouthMaterial.roughness = MOUTH_ROUGHNESS[surface];
          if (surface === 'tongue') mouthMaterial.metallicF0Factor = TONGUE_SPECULAR_WEIGHT;
          if (coloured && bakedTeethArch(rig.otherParts)) {
            // The arch's occlusion, in the part's UVs: it dims the environment's reflections too (radiance occlusion).
            // Without mipmaps: the ramp's 1×1 level would be a flat half.
            const ramp = texture(OCCLUSION_RAMP, 'mouthOcclusion', false);
            mouthMaterial.ambientTexture = ramp;
            mouthMaterial.useAmbientInGrayScale = true;
          }
          mouthMaterials.set(key, mouthMaterial);
        }
        partMaterial = mouthMaterial;
      }
      otherMeshes.push(addPart(part, partMaterial, 'head'));
      yield 'part mesh';
    }

    // Hair (../hair/): already on the fitted shape, under the head joint.
    const hair = data.hair?.mesh && arrays.hair
      ? addHairToScene(scene, name, data.hair.mesh, arrays.hair, bones.head, jointPosition(rig, 'head'))
      : null;
    if (hair) {
      own(hair.material);
      own(hair.texture);
      yield 'hair';
    }
    finished = true;
    return new Avatar(data, { root, modelSpace, head, eyes, otherMeshes, bones, morphTargetManager: manager, skeleton, material, eyeMaterial, textures, hair, name, mouthColours });
  } finally {
    if (!finished) {
      root.dispose(false, false);
      for (const thing of owned.reverse()) thing.dispose();
    }
  }
}
