/**
 * The arithmetic of building an avatar (rig, normals, morph target shapes, skin weights, roughness
 * map, mouth tint, eye texture, the parts' and hair's vertex data, the strand cards' textures) kept
 * apart from the Babylon objects: the avatar worker computes it next to the pipeline, and the main
 * thread only wraps the finished arrays in meshes (build-avatar.ts), in short steps. No Babylon
 * import here: this module is part of the worker's bundle.
 */
import { computeAvatarRig, type AvatarRig } from '../export/avatar-rig.js';
import { albedoWithStubble } from '../albedo/scalp-tint.js';
import { mouthInteriorTintFor, mouthOcclusion } from '../export/mouth-interior.js';
import { shadedColours } from '../export/head-colours.js';
import { hairShadowOnHead } from '../hair/hair-shadow.js';
import { computeSkinWeights } from '../export/skin-weights.js';
import { faceCardTexture, isFaceCard } from '../hair/face-cards.js';
import { strandTangents, type HairMesh } from '../hair/hair-mesh.js';
import { createEyeTexture, eyeProjectionUvs } from '../materials/eye-texture.js';
import { bakedTeethArch, occlusionRampUvs } from '../materials/mouth-parts.js';
import { computeRoughnessMap } from '../materials/roughness.js';
import { computeVertexNormals, type HeadModel, type SubMesh } from '../modelpack/head-model.js';
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

/** A rigid part's vertex data (eyes, teeth, lashes...), in the order of rig.eyeLeft, rig.eyeRight, rig.otherParts. */
export interface PartArrays {
  normals: Float32Array;
  uvs: Float32Array;
  /** Absolute positions and normals of the part's morph targets (SubMesh.morphs order, mode-major), when it has some. */
  morphs: { positions: Float32Array; normals: Float32Array } | null;
  /** The tinted strand texture of a card part (lashes, brows), else null. */
  cardTexture: RgbaImage | null;
  /** RGBA per vertex: the part's baked albedo (SubMesh.vertexColours: teeth, gums, tongue), else null. */
  colours: Float32Array | null;
}

/** The hair mesh's vertex data beyond its positions, indices and uvs. */
export interface HairArrays {
  normals: Float32Array;
  /** xyz along the strands, w handedness. */
  tangents: Float32Array;
  /** RGBA per vertex (the tone's multipliers, alpha 1). */
  colours: Float32Array;
  /** Per head vertex, the colour multiplier of the hair's shadow on the skin (../hair/hair-shadow.ts). */
  headShade: Float32Array;
}

export interface AvatarArrays {
  rig: AvatarRig;
  neutralNormals: Float32Array;
  /** Absolute positions of every expression target, mode-major (expressionNames.length × vertexCount*3). */
  targetPositions: Float32Array;
  /** Their normals in the same layout, or null when morph normals are off. */
  targetNormals: Float32Array | null;
  /** Four joint indices per vertex as floats (what Babylon's vertex buffer takes) and their weights. */
  skin: { joints: Float32Array; weights: Float32Array };
  /** RGBA per vertex darkening the mouth pocket, or null when off or the model has no inner lips; the head's colours are these times `hair.headShade` (headColourBuffer). */
  mouthColours: Float32Array | null;
  /** The skin texture where it is not `data.albedo` itself (a shaved head's stubble grain: albedoWithStubble); else null, so the arrays hold no second copy to transfer. */
  albedo: RgbaImage | null;
  roughness: RgbaImage | null;
  /** Null when the model has no eyes. */
  eyeTexture: RgbaImage | null;
  /** One per part: rig.eyeLeft, rig.eyeRight (those present), then rig.otherParts. */
  parts: PartArrays[];
  hair: HairArrays | null;
}

/** xyz per vertex -> xyzw with w = 1 (Babylon's colour buffers). */
function rgbToRgba(rgb: Float32Array): Float32Array {
  const n = rgb.length / 3;
  const rgba = new Float32Array(n * 4);
  for (let v = 0; v < n; v++) {
    rgba[4 * v] = rgb[3 * v];
    rgba[4 * v + 1] = rgb[3 * v + 1];
    rgba[4 * v + 2] = rgb[3 * v + 2];
    rgba[4 * v + 3] = 1;
  }
  return rgba;
}

/** The rig's parts in the order buildAvatar creates their meshes. */
export function rigParts(rig: AvatarRig): SubMesh[] {
  return [rig.eyeLeft, rig.eyeRight, ...rig.otherParts].filter((part): part is SubMesh => part !== null);
}

function partArrays(data: AvatarData, part: SubMesh, eye: boolean, arch: ReturnType<typeof bakedTeethArch>): PartArrays {
  const vertexCount = part.positions.length / 3;
  let morphs: PartArrays['morphs'] = null;
  if (part.morphs) {
    const size = part.positions.length;
    const positions = new Float32Array(part.morphs.names.length * size);
    const normals = new Float32Array(positions.length);
    for (let k = 0; k < part.morphs.names.length; k++) {
      const target = positions.subarray(k * size, (k + 1) * size);
      for (let i = 0; i < size; i++) target[i] = part.positions[i] + part.morphs.displacements[k * size + i];
      normals.set(computeVertexNormals(target, part.indices), k * size);
    }
    morphs = { positions, normals };
  }
  return {
    normals: computeVertexNormals(part.positions, part.indices),
    // A baked mouth part's UVs carry its arch occlusion on OCCLUSION_RAMP (../materials/mouth-parts.ts).
    uvs: eye ? eyeProjectionUvs(part.positions, part.pivot)
      : part.vertexColours && arch ? occlusionRampUvs(part, arch)
        : part.uvs.length === vertexCount * 2 ? part.uvs.slice() : new Float32Array(vertexCount * 2),
    morphs,
    cardTexture: isFaceCard(part) ? faceCardTexture(data, part) : null,
    colours: part.vertexColours ? rgbToRgba(part.vertexColours) : null,
  };
}

/** The hair's normals, strand tangents and vertex colours, and its shadow on `model` fitted to `vertices` (also used when setHair rebuilds it). */
export function hairArrays(hair: HairMesh, model: HeadModel, vertices: Float32Array): HairArrays {
  const { part } = hair;
  const normals = hair.normals;
  return { normals, tangents: strandTangents(part.positions, part.indices, part.uvs, normals), colours: rgbToRgba(hair.vertexColours), headShade: hairShadowOnHead(model, vertices, hair) };
}

/** The head mesh's colour buffer (RGBA): the mouth pocket's tint times the hair's shadow, as the GLB's COLOR_0 (../export/head-colours.ts); null when neither applies. */
export function headColourBuffer(mouthColours: Float32Array | null, hairShade: Float32Array | null): Float32Array | null {
  return shadedColours(mouthColours, hairShade, 4);
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
  const skin = computeSkinWeights(model, neutralVertices, rig);
  const arch = bakedTeethArch(rig.otherParts);
  return {
    rig,
    neutralNormals: computeVertexNormals(neutralVertices, model.indices, model.weldGroup),
    targetPositions,
    targetNormals,
    skin: { joints: Float32Array.from(skin.joints), weights: skin.weights },
    mouthColours: tint ? rgbToRgba(tint) : null,
    albedo: data.hair?.stubble ? albedoWithStubble(data) : null,
    roughness: options.roughnessMap === false ? null : computeRoughnessMap(model, neutralVertices, data.albedo, { occlusion: tint && mouthOcclusion(tint) }).image,
    eyeTexture: rig.eyeLeft || rig.eyeRight ? createEyeTexture({ irisColor: options.irisColor ?? data.irisColor }) : null,
    parts: rigParts(rig).map((part) => partArrays(data, part, part === rig.eyeLeft || part === rig.eyeRight, arch)),
    hair: data.hair?.mesh ? hairArrays(data.hair.mesh, model, neutralVertices) : null,
  };
}
