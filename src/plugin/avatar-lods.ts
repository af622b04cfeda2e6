/**
 * Levels of detail on a live avatar through Babylon's addLODLevel, the same levels as the compact
 * GLB's MSFT_lod (../export/lod.ts): each lower level is a mesh over the same vertices with fewer
 * triangles. It copies the full mesh's vertex data and shares its material, skeleton and morph
 * target manager (a manager serves any mesh with the same vertices), so expressions, bones and
 * gaze drive every level with nothing to keep in sync. Babylon picks the level by the share of
 * the viewport the mesh's bounding sphere covers (useLODScreenCoverage).
 */
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { hairLevels, lodScreenCoverage, simplifiedLevels } from '../export/lod.js';
import type { HairMesh } from '../hair/hair-mesh.js';

/** The lower levels of one mesh, most detailed first, and the coverage below which each is shown. */
export interface MeshLevels {
  mesh: Mesh;
  levels: Mesh[];
}

/** Vertex data that a lower level copies from the full mesh (every kind the avatar builder sets). */
const COPIED_KINDS = [
  VertexBuffer.PositionKind, VertexBuffer.NormalKind, VertexBuffer.UVKind, VertexBuffer.ColorKind,
  VertexBuffer.MatricesIndicesKind, VertexBuffer.MatricesWeightsKind, VertexBuffer.TangentKind,
];

/** A lower level of `mesh` drawing `indices` over its vertices. */
function levelMesh(mesh: Mesh, indices: Uint32Array, level: number): Mesh {
  const lod = new Mesh(`${mesh.name}.lod${level}`, mesh.getScene());
  for (const kind of COPIED_KINDS) {
    const buffer = mesh.getVertexBuffer(kind);
    const data = mesh.getVerticesData(kind, false, true);
    if (buffer && data) lod.setVerticesData(kind, data, false, buffer.getSize());
  }
  lod.setIndices(indices, mesh.getTotalVertices());
  lod.material = mesh.material;
  lod.sideOrientation = mesh.sideOrientation;
  lod.skeleton = mesh.skeleton;
  lod.numBoneInfluencers = mesh.numBoneInfluencers;
  lod.morphTargetManager = mesh.morphTargetManager;
  return lod;
}

/**
 * Adds lower levels to each mesh (`ratios` of its triangles, default 50 % and 25 %), simplified
 * from its rest positions. Babylon renders a level in place of its mesh, with the mesh's world
 * matrix, so the levels need no parent of their own. Await lodSimplifierReady (../export/lod.ts) first.
 */
export function addLevelsOfDetail(meshes: readonly Mesh[], ratios: readonly number[]): MeshLevels[] {
  return meshes.map((mesh) => {
    const indices = Uint32Array.from(mesh.getIndices() ?? []);
    const positions = Float32Array.from(mesh.getVerticesData(VertexBuffer.PositionKind) ?? []);
    return withLevels(mesh, simplifiedLevels(indices, positions, ratios));
  });
}

/** The hair's levels (its scalp cap and strands simplified apart: hairLevels in ../export/lod.ts) on its Babylon mesh, built from `hair`. */
export function addHairLevelsOfDetail(mesh: Mesh, hair: HairMesh, ratios: readonly number[]): MeshLevels {
  return withLevels(mesh, hairLevels(hair.part.indices, hair.part.positions, hair.capTriangles, ratios).map((level) => level.indices));
}

function withLevels(mesh: Mesh, indexLevels: readonly Uint32Array[]): MeshLevels {
  const coverage = lodScreenCoverage(indexLevels.length + 1);
  const levels = indexLevels.map((levelIndices, i) => levelMesh(mesh, levelIndices, i + 1));
  mesh.useLODScreenCoverage = true;
  // Babylon shows a level while the coverage is below its value: level i below the threshold of level i - 1.
  levels.forEach((level, i) => mesh.addLODLevel(coverage[i], level));
  return { mesh, levels };
}
