/**
 * Babylon mesh and texture helpers shared by the avatar builder (build-avatar.ts) and the hair
 * (hair-mesh.ts): model-space meshes under the avatar's modelSpace node, RGBA textures with v up.
 */
import { Material } from '@babylonjs/core/Materials/material.js';
import { RawTexture } from '@babylonjs/core/Materials/Textures/rawTexture.js';
import { Texture } from '@babylonjs/core/Materials/Textures/texture.js';
import { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { VertexData } from '@babylonjs/core/Meshes/mesh.vertexData.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { RgbaImage } from '../types.js';

/** Top-row-first RGBA -> texture sampled with v up (invertY puts the first row at v = 1). */
export function rgbaTexture(image: RgbaImage, name: string, scene: Scene, mipmaps = true): RawTexture {
  const bytes = new Uint8Array(image.data.buffer, image.data.byteOffset, image.width * image.height * 4);
  const texture = RawTexture.CreateRGBATexture(bytes, image.width, image.height, scene, mipmaps, true, mipmaps ? Texture.TRILINEAR_SAMPLINGMODE : Texture.BILINEAR_SAMPLINGMODE);
  texture.name = name;
  texture.wrapU = Texture.CLAMP_ADDRESSMODE;
  texture.wrapV = Texture.CLAMP_ADDRESSMODE;
  return texture;
}

export function createMesh(name: string, scene: Scene, positions: Float32Array, indices: Uint32Array, uvs: Float32Array, normals: Float32Array): Mesh {
  const mesh = new Mesh(name, scene);
  const vertexData = new VertexData();
  vertexData.positions = positions;
  vertexData.indices = indices;
  vertexData.normals = normals;
  vertexData.uvs = uvs;
  vertexData.applyToMesh(mesh, false);
  // Model triangles are CCW in a right-handed space; under the mirrored modelSpace node this is
  // what Babylon's glTF loader sets too.
  mesh.sideOrientation = scene.useRightHandedSystem ? Material.CounterClockWiseSideOrientation : Material.ClockWiseSideOrientation;
  return mesh;
}

