/**
 * The hair in Babylon: its mesh (model space, hung under the head joint like the other rigid parts)
 * and a material for strand cards: alpha test for the opaque strands plus sorted blending for their
 * soft edges (PBRMATERIAL_ALPHATESTANDBLEND), both sides lit, shading normals leaning out over the
 * hair's volume (../hair/hair-mesh.ts hairNormals), anisotropic highlights along the strands, and
 * the surface values the GLB shares (../materials/hair-surface.ts).
 */
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import type { RawTexture } from '@babylonjs/core/Materials/Textures/rawTexture.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { HairMesh } from '../hair/hair-mesh.js';
import { HAIR_ALPHA_CUTOFF, HAIR_ANISOTROPY, HAIR_ANISOTROPY_ANGLE, HAIR_ROUGHNESS, HAIR_SPECULAR_WEIGHT } from '../materials/hair-surface.js';
import type { HairArrays } from './build-arrays.js';
import { createMesh, rgbaTexture } from './scene-meshes.js';

export interface HairInScene {
  mesh: Mesh;
  material: PBRMaterial;
  texture: RawTexture;
}


export function hairMaterial(name: string, scene: Scene, texture: RawTexture): PBRMaterial {
  const material = new PBRMaterial(name, scene);
  material.albedoTexture = texture;
  material.useAlphaFromAlbedoTexture = true;
  texture.hasAlpha = true;
  material.transparencyMode = PBRMaterial.PBRMATERIAL_ALPHATESTANDBLEND;
  material.alphaCutOff = HAIR_ALPHA_CUTOFF;
  material.backFaceCulling = false;
  material.twoSidedLighting = true;
  material.metallic = 0;
  material.roughness = HAIR_ROUGHNESS;
  material.metallicF0Factor = HAIR_SPECULAR_WEIGHT;
  material.anisotropy.isEnabled = true;
  material.anisotropy.intensity = HAIR_ANISOTROPY;
  material.anisotropy.angle = HAIR_ANISOTROPY_ANGLE;
  return material;
}

/**
 * Builds the hair's mesh and material under `head` (the head joint's node, whose model-space pivot
 * is `headPivot`) from its precomputed vertex data (hairArrays in build-arrays.ts).
 */
export function addHairToScene(scene: Scene, name: string, hair: HairMesh, arrays: HairArrays, head: TransformNode, headPivot: readonly number[]): HairInScene {
  const { part } = hair;
  const mesh = createMesh(`${name}.hair`, scene, part.positions.slice(), part.indices, part.uvs.slice(), arrays.normals);
  mesh.setVerticesData(VertexBuffer.TangentKind, arrays.tangents, false, 4);
  mesh.setVerticesData(VertexBuffer.ColorKind, arrays.colours, false, 4);
  const texture = rgbaTexture(hair.texture, `${name}.hairTexture`, scene);
  const material = hairMaterial(`${name}.hair`, scene, texture);
  mesh.material = material;
  mesh.parent = head;
  mesh.position = new Vector3(-headPivot[0], -headPivot[1], -headPivot[2]);
  return { mesh, material, texture };
}
