/**
 * SteppedMorphTargetManager (src/plugin/morph-texture.ts) fills the morph-target texture a target
 * at a time; the texture must be the one Babylon's own MorphTargetManager.synchronize makes from
 * the same targets, texel for texel, with the same layout fields (the shader reads them).
 * NullEngine keeps targets in vertex attributes and cannot create texture arrays, so both managers
 * are put in texture mode and RawTexture2DArray.CreateRGBATexture records what it is given instead
 * of uploading it; its 512-texel rows make a layer wrap over several rows, as on GPUs for big heads.
 */
import assert from 'node:assert/strict';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { RawTexture2DArray } from '@babylonjs/core/Materials/Textures/rawTexture2DArray.js';
import { MorphTarget } from '@babylonjs/core/Morph/morphTarget.js';
import { MorphTargetManager } from '@babylonjs/core/Morph/morphTargetManager.js';
import { Scene } from '@babylonjs/core/scene.js';
import { prepareAvatarArrays } from '../../src/plugin/build-arrays.js';
import { SteppedMorphTargetManager } from '../../src/plugin/morph-texture.js';
import { avatarDataFor } from '../export/synthetic-avatar.js';

interface Upload { data: Float32Array; width: number; height: number; depth: number }
type LayoutFields = Record<'_textureVertexStride' | '_textureWidth' | '_textureHeight' | '_vertexCount', number>;

describe('plugin/SteppedMorphTargetManager', function () {
  this.timeout(120_000);
  const uploads: Upload[] = [];
  const createRgbaTexture = RawTexture2DArray.CreateRGBATexture;
  let engine: NullEngine;
  let scene: Scene;

  before(() => {
    engine = new NullEngine();
    scene = new Scene(engine);
    RawTexture2DArray.CreateRGBATexture = ((data: Float32Array, width: number, height: number, depth: number) => {
      uploads.push({ data: data.slice(), width, height, depth });
      return { name: '', dispose() {} } as unknown as RawTexture2DArray;
    }) as typeof RawTexture2DArray.CreateRGBATexture;
  });

  after(() => {
    RawTexture2DArray.CreateRGBATexture = createRgbaTexture;
    scene?.dispose();
    engine?.dispose();
  });

  it('packs the default head\'s targets as Babylon does, layer by layer', async function () {
    const data = await avatarDataFor('default head');
    if (!data) this.skip();
    const { targetPositions, targetNormals } = prepareAvatarArrays(data);
    assert.ok(targetNormals, 'the build arrays have target normals');
    const n3 = data.model.vertexCount * 3;
    // A few targets spread over the basis keep the test quick; every layer goes through the same code.
    const picked = [0, 17, data.model.expressionNames.length - 1];
    const fill = (manager: MorphTargetManager, onTarget?: (k: number, positions: Float32Array, normals: Float32Array) => void) => {
      (manager as unknown as { _canUseTextureForTargets: boolean })._canUseTextureForTargets = true;
      manager.areUpdatesFrozen = true;
      picked.forEach((source, k) => {
        const target = new MorphTarget(data.model.expressionNames[source], 0.5, scene);
        const positions = targetPositions.subarray(source * n3, (source + 1) * n3);
        const normals = targetNormals.subarray(source * n3, (source + 1) * n3);
        target.setPositions(positions);
        target.setNormals(normals);
        manager.addTarget(target);
        onTarget?.(k, positions, normals);
      });
      manager.areUpdatesFrozen = false;
    };

    const babylon = new MorphTargetManager(scene);
    fill(babylon);
    const stepped = new SteppedMorphTargetManager(scene);
    (stepped as unknown as { _canUseTextureForTargets: boolean })._canUseTextureForTargets = true;
    const packing = stepped.startPacking(data.model.vertexCount, picked.length, true);
    assert.ok(packing, 'texture mode: the stepped manager packs');
    fill(stepped, (k, positions, normals) => packing.packLayer(k, positions, normals));

    assert.equal(uploads.length, 2, 'one texture each');
    const [expected, actual] = uploads;
    assert.deepEqual([actual.width, actual.height, actual.depth], [expected.width, expected.height, expected.depth]);
    assert.ok(expected.height > 1, `a layer wraps over rows (${expected.width} x ${expected.height})`);
    assert.equal(actual.data.length, expected.data.length);
    let mismatches = 0;
    for (let i = 0; i < expected.data.length; i++) if (actual.data[i] !== expected.data[i]) mismatches++;
    assert.equal(mismatches, 0, `${mismatches} of ${expected.data.length} texture floats differ`);
    const layout = (manager: MorphTargetManager) => {
      const fields = manager as unknown as LayoutFields;
      return [fields._textureVertexStride, fields._textureWidth, fields._textureHeight, fields._vertexCount, manager.supportsPositions, manager.supportsNormals, manager.supportsTangents, manager.supportsUVs];
    };
    assert.deepEqual(layout(stepped), layout(babylon));
    // Later changes go through Babylon's own path: the packed data is used once.
    stepped.getTarget(1).setPositions(targetPositions.subarray(0, n3));
    stepped.synchronize();
    assert.equal(uploads.length, 3);
    assert.deepEqual(uploads[2].data.subarray(uploads[2].data.length / 3, uploads[2].data.length / 3 + 3), targetPositions.subarray(0, 3));
    babylon.dispose();
    stepped.dispose();
  });
});
