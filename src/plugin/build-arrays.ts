/**
 * The arithmetic of building an avatar (rig, normals, morph target shapes, skin weights, roughness
 * map, mouth tint, eye texture) kept apart from the Babylon objects: the avatar worker computes it
 * next to the pipeline, and the main thread only wraps the finished arrays in meshes
 * (build-avatar.ts). No Babylon import here: this module is part of the worker's bundle.
 */
import { computeAvatarRig, type AvatarRig } from '../export/avatar-rig.js';
import { mouthInteriorTintFor } from '../export/mouth-interior.js';
import { computeSkinWeights, type SkinWeights } from '../export/skin-weights.js';
import { createEyeTexture } from '../materials/eye-texture.js';
import { computeRoughnessMap } from '../materials/roughness.js';
import { computeVertexNormals } from '../modelpack/head-model.js';
import type { AvatarData, RgbaImage } from '../types.js';

/** The build options that change the arrays (BuildAvatarOptions in build-avatar.ts extends them). */
export interface AvatarArrayOptions {
  /** Morph target normals (default true): better shading of strong expressions, one normal pass per mode. */
  morphNormals?: boolean;
  /** Iris colour of the generated eye texture, sRGB 0..255 (default: the one read from the photo, AvatarData.irisColor). */
  irisColor?: [number, number, number];
  /**
   * Skin roughness map from the albedo's specular cues and the face regions (default true; see
   * ../materials/roughness.ts). False: one roughness for the whole skin.
   */
  roughnessMap?: boolean;
  /** Tint the mouth pocket dark like an oral cavity through vertex colours (default true; see ../export/mouth-interior.ts). */
  mouthInterior?: boolean;
}

export interface AvatarArrays {
  rig: AvatarRig;
  neutralNormals: Float32Array;
  /** Absolute positions of every expression target, mode-major (expressionNames.length × vertexCount*3). */
  targetPositions: Float32Array;
  /** Their normals in the same layout, or null when morph normals are off. */
  targetNormals: Float32Array | null;
  skin: SkinWeights;
  /** RGBA per vertex darkening the mouth pocket, or null when off or the model has no inner lips. */
  mouthColours: Float32Array | null;
  roughness: RgbaImage | null;
  /** Null when the model has no eyes. */
  eyeTexture: RgbaImage | null;
}

/** Everything buildAvatar computes before it creates Babylon objects. */
export function prepareAvatarArrays(data: AvatarData, options: AvatarArrayOptions = {}): AvatarArrays {
  const { model, neutralVertices } = data;
  const rig = computeAvatarRig(model, neutralVertices);
  const n3 = model.vertexCount * 3;
  const targetCount = model.expressionNames.length;
  const targetPositions = new Float32Array(targetCount * n3);
  const targetNormals = options.morphNormals ?? true ? new Float32Array(targetCount * n3) : null;
  for (let k = 0; k < targetCount; k++) {
    const positions = targetPositions.subarray(k * n3, (k + 1) * n3);
    for (let i = 0; i < n3; i++) positions[i] = neutralVertices[i] + model.expressionBasis[k * n3 + i];
    targetNormals?.set(computeVertexNormals(positions, model.indices, model.weldGroup), k * n3);
  }
  const tint = options.mouthInterior === false ? null : mouthInteriorTintFor(model, neutralVertices);
  let mouthColours: Float32Array | null = null;
  if (tint) {
    mouthColours = new Float32Array(model.vertexCount * 4);
    for (let v = 0; v < model.vertexCount; v++) mouthColours.set([tint[3 * v], tint[3 * v + 1], tint[3 * v + 2], 1], 4 * v);
  }
  return {
    rig,
    neutralNormals: computeVertexNormals(neutralVertices, model.indices, model.weldGroup),
    targetPositions,
    targetNormals,
    skin: computeSkinWeights(model, neutralVertices, rig),
    mouthColours,
    roughness: options.roughnessMap === false ? null : computeRoughnessMap(model, neutralVertices, data.albedo).image,
    eyeTexture: rig.eyeLeft || rig.eyeRight ? createEyeTexture({ irisColor: options.irisColor ?? data.irisColor }) : null,
  };
}
