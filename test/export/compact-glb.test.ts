import assert from 'node:assert/strict';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { ImportMeshAsync, LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import type { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import '@babylonjs/loaders/glTF/2.0/Extensions/index.js';
import { writeCompactGlb } from '../../src/export/compact-glb.js';
import { writeGlb } from '../../src/export/glb.js';
import { SNORM16_ERROR, SNORM8_ERROR } from '../../src/export/quantize.js';
import { fittedNormals } from '../../src/modelpack/head-model.js';
import { useBundledMeshoptDecoder } from '../../src/plugin/meshopt-decoder.js';
import type { AvatarData } from '../../src/types.js';
import { loadTestHeadModel, makeAvatarData, syntheticAlbedo, syntheticHeadModel } from './synthetic-avatar.js';

function glbJson(glb: Uint8Array): any {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  return JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + view.getUint32(12, true))));
}

// Float32 rounding of the dequantized value on top of half a quantization step.
const POSITION_BOUND = SNORM16_ERROR + 1e-7;

for (const variant of ['synthetic head', 'default head'] as const) describe(`export/compact-glb (${variant})`, function () {
  this.timeout(60_000);
  let data: AvatarData;
  let compact: Uint8Array;
  before(async function () {
    const loaded = variant === 'synthetic head' ? { model: syntheticHeadModel(), source: variant } : await loadTestHeadModel();
    if (loaded.source !== variant) {
      console.log(`    skipped: ${variant} unavailable`);
      this.skip();
    }
    data = makeAvatarData(loaded.model, syntheticAlbedo(1024));
    compact = await writeCompactGlb(data);
  });

  it('declares meshopt, quantization, WebP and three levels of detail', function () {
    const json = glbJson(compact);
    const plainBytes = writeGlb(data).byteLength;
    console.log(`    ${variant}: compact ${(compact.byteLength / 1024).toFixed(0)} KiB vs plain ${(plainBytes / 1024).toFixed(0)} KiB (1024² albedo, ${data.model.expressionNames.length} targets)`);
    assert.deepEqual(json.extensionsRequired.slice().sort(), ['EXT_meshopt_compression', 'EXT_texture_webp', 'KHR_mesh_quantization']);
    assert.ok(json.extensionsUsed.includes('MSFT_lod'));
    if (variant === 'default head') {
      assert.ok(compact.byteLength <= 1.5 * 1024 * 1024, `default head ${compact.byteLength} B > 1.5 MiB`);
      assert.ok(compact.byteLength < plainBytes / 4, 'at least 4x smaller than the plain GLB');
    }
    assert.ok(json.images.every((image: { mimeType: string }) => image.mimeType === 'image/webp'));
    const headNode = json.nodes.find((n: { name: string }) => n.name === 'headMesh');
    const ids: number[] = headNode.extensions.MSFT_lod.ids;
    assert.equal(ids.length, 2);
    assert.deepEqual(headNode.extras.MSFT_screencoverage, [0.1, 0.02, 0]);
    const triangles = [headNode, ...ids.map((id) => json.nodes[id])].map((node) => json.accessors[json.meshes[node.mesh].primitives[0].indices].count / 3);
    console.log(`    head triangles per level: ${triangles.join(', ')}`);
    assert.ok(Math.abs(triangles[1] / triangles[0] - 0.5) < 0.06 && Math.abs(triangles[2] / triangles[0] - 0.25) < 0.06, `${triangles}`);
    // Every level keeps the skin and all morph targets.
    for (const id of ids) {
      assert.equal(json.nodes[id].skin, 0);
      assert.equal(json.meshes[json.nodes[id].mesh].primitives[0].targets.length, data.model.expressionNames.length);
    }
    for (const name of ['eyeLeftMesh', 'eyeRightMesh']) {
      const eye = json.nodes.find((n: { name: string }) => n.name === name);
      if (eye) assert.equal(eye.extensions.MSFT_lod.ids.length, 2);
    }
  });

  it(`loads back in Babylon with the bundled meshopt decoder: positions within ${(POSITION_BOUND * 1e6).toFixed(1)} µm, targets within twice that`, async function () {
    useBundledMeshoptDecoder();
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      // Into the scene: Babylon's MSFT_lod loads the levels coarse to fine and, dropping a coarse
      // one, disposes its material unless a mesh in the scene uses it (see the container case below).
      const imported = await ImportMeshAsync(compact, scene, { pluginExtension: '.glb' });
      const head = imported.meshes.find((m) => m.name === 'headMesh') as Mesh | undefined;
      assert.ok(head, `meshes: ${imported.meshes.map((m) => m.name).join(', ')}`);
      const positions = head.getVerticesData(VertexBuffer.PositionKind)!;
      assert.equal(positions.length, data.neutralVertices.length);
      let positionError = 0;
      for (let i = 0; i < positions.length; i++) positionError = Math.max(positionError, Math.abs(positions[i] - data.neutralVertices[i]));
      const manager = head.morphTargetManager!;
      assert.equal(manager.numTargets, data.model.expressionNames.length);
      const n3 = data.neutralVertices.length;
      let targetError = 0;
      const normals = head.getVerticesData(VertexBuffer.NormalKind)!;
      let normalLength = 0, normalTurn = 0;
      const writtenNormals = fittedNormals(data.model, data.neutralVertices);
      for (let i = 0; i < normals.length; i += 3) {
        const length = Math.hypot(normals[i], normals[i + 1], normals[i + 2]);
        normalLength = Math.max(normalLength, Math.abs(length - 1));
        const cos = (normals[i] * writtenNormals[i] + normals[i + 1] * writtenNormals[i + 1] + normals[i + 2] * writtenNormals[i + 2]) / (length * Math.hypot(writtenNormals[i], writtenNormals[i + 1], writtenNormals[i + 2]));
        normalTurn = Math.max(normalTurn, Math.acos(Math.min(1, cos)) * 180 / Math.PI);
      }
      for (let k = 0; k < manager.numTargets; k++) {
        const target = manager.getTarget(k);
        assert.equal(target.name, data.model.expressionNames[k]);
        assert.ok(Math.abs(target.influence - data.expression[k]) < 1e-6);
        const moved = target.getPositions()!;
        for (let i = 0; i < n3; i++) targetError = Math.max(targetError, Math.abs(moved[i] - (data.neutralVertices[i] + data.model.expressionBasis[k * n3 + i])));
      }
      // The triangles are stored in vertex-cache order (the index codec's bytes), each with its
      // winding (the codec may start a triangle at another corner).
      const triangleKeys = (indices: ArrayLike<number>) => {
        const keys: string[] = [];
        for (let t = 0; t < indices.length; t += 3) {
          const corners = [indices[t], indices[t + 1], indices[t + 2]];
          const first = corners.indexOf(Math.min(...corners));
          keys.push([0, 1, 2].map((k) => corners[(first + k) % 3]).join());
        }
        return keys;
      };
      const stored = triangleKeys(head.getIndices()!), written = triangleKeys(data.model.indices);
      const reordered = stored.filter((key, t) => key !== written[t]).length;
      console.log(`    re-import: ${reordered} of ${stored.length} head triangles in another place`);
      assert.deepEqual(stored.slice().sort(), written.slice().sort());
      if (variant === 'default head') assert.ok(reordered > stored.length / 2, `${reordered} triangles moved`);
      // Blended parts (lashes, brows) draw in their triangles' order: that order is kept.
      const blended = data.model.parts.filter((part) => part.material === 'lashes' || part.material === 'brows');
      if (variant === 'default head') assert.equal(blended.length, 2);
      for (const part of blended) {
        const mesh = imported.meshes.find((m) => m.name === `${part.name}Mesh`) as Mesh | undefined;
        assert.ok(mesh, `${part.name}Mesh among ${imported.meshes.map((m) => m.name).join(', ')}`);
        assert.deepEqual(triangleKeys(mesh.getIndices()!), triangleKeys(part.indices));
      }
      console.log(`    re-import: position error ${(positionError * 1e6).toFixed(2)} µm (bound ${(POSITION_BOUND * 1e6).toFixed(2)}), morph target error ${(targetError * 1e6).toFixed(2)} µm, normal length error ${normalLength.toExponential(2)}, normals turned by ${normalTurn.toFixed(2)}° at most`);
      assert.ok(positionError <= POSITION_BOUND, `position error ${positionError}`);
      assert.ok(targetError <= 2 * POSITION_BOUND, `target error ${targetError}`);
      assert.ok(normalLength < 4 * SNORM8_ERROR * Math.sqrt(3), `normal length error ${normalLength}`);
      // Octahedral at 8 bits (MeshoptLayout.octahedral), as gltfpack's default: 1.0-1.2° at most
      // here, against 0.34-0.37° for the three snorm8 components it replaced.
      assert.ok(normalTurn < 1.5, `normals turned by ${normalTurn}°`);
      // Babylon's MSFT_lod loads the coarsest level first and disposes each level once the next is in.
      const lowerLevels = imported.meshes.filter((m) => /_lod\d$/.test(m.name));
      console.log(`    re-import: ${lowerLevels.length} lower-level meshes seen while loading, ${lowerLevels.filter((m) => !m.isDisposed()).length} left`);
      assert.ok(lowerLevels.length > 0 && lowerLevels.every((m) => m.isDisposed()), 'the loader replaced the lower levels by the full one');
      const material = head.material as PBRMaterial;
      assert.ok(material.albedoTexture && material.metallicTexture, 'albedo and roughness textures');
      assert.ok(head.skeleton, 'skinned');
      assert.ok(head.getVerticesData(VertexBuffer.MatricesWeightsKind), 'skin weights');
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('loads into an AssetContainer with MSFT_lod turned off (the full level only)', async function () {
    useBundledMeshoptDecoder();
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const container = await LoadAssetContainerAsync(compact, scene, {
        pluginExtension: '.glb',
        pluginOptions: { gltf: { extensionOptions: { MSFT_lod: { enabled: false } } } },
      });
      const names = container.meshes.map((m) => m.name);
      assert.ok(names.includes('headMesh') && names.every((name) => !/_lod\d$/.test(name)), names.join(', '));
      const head = container.meshes.find((m) => m.name === 'headMesh') as Mesh;
      assert.ok((head.material as PBRMaterial).albedoTexture, 'albedo texture');
      assert.equal(head.getTotalVertices(), data.model.vertexCount);
      assert.equal(head.morphTargetManager!.numTargets, data.model.expressionNames.length);
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });
});
