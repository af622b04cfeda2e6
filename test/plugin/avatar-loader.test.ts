import assert from 'node:assert/strict';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { AppendSceneAsync, ImportMeshAsync, LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import type { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import { writeAvatarFile } from '../../src/avatar-file/format.js';
import { writePack } from '../../src/modelpack/format.js';
import { decodeShape, type HeadModel } from '../../src/modelpack/head-model.js';
import { DEFAULT_HEAD_ID, getAvatar, registerAvatarLoaders, registerModelPack, resolveModelPack } from '../../src/plugin/avatar-loader.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import type { AvatarData } from '../../src/types.js';
import { richAvatarData, testModel } from '../avatar-file/fixtures.js';
import { syntheticAlbedo, syntheticHeadModel } from '../export/synthetic-avatar.js';

function maxPositionDifference(a: AbstractMesh, b: AbstractMesh): number {
  const pa = a.getVerticesData(VertexBuffer.PositionKind)!;
  const pb = b.getVerticesData(VertexBuffer.PositionKind)!;
  assert.equal(pa.length, pb.length);
  let max = 0;
  for (let i = 0; i < pa.length; i++) max = Math.max(max, Math.abs(pa[i] - pb[i]));
  return max;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

describe('plugin/avatar-loader (NullEngine)', function () {
  let engine: NullEngine;
  let scene: Scene;
  let model: HeadModel;
  let source = '';
  let data: AvatarData;

  before(async function () {
    registerAvatarLoaders();
    ({ model, source } = await testModel());
    if (source !== 'default head pack') registerModelPack(model.id, model);
    data = richAvatarData(model, syntheticAlbedo(128));
    // As in the pipeline: the original vertices come from the fitting's decode.
    data.neutralVertices = decodeShape(model, data.identity, null);
  });

  beforeEach(function () {
    engine = new NullEngine();
    scene = new Scene(engine);
  });

  afterEach(function () {
    scene.dispose();
    engine.dispose();
  });

  it('resolves the default head by id', async function () {
    if (source !== 'default head pack') this.skip();
    const resolved = await resolveModelPack(DEFAULT_HEAD_ID);
    assert.equal(resolved, model, 'the pipeline\'s cached default head, not a second copy');
  });

  it('LoadAssetContainerAsync rebuilds the avatar from bytes with the same vertices', async function () {
    const original = buildAvatar(scene, data, { name: 'original' });
    original.material.roughness = 0.42;
    const bytes = original.serialize();
    const counts = () => [scene.meshes.length, scene.transformNodes.length, scene.materials.length, scene.textures.length, scene.morphTargetManagers.length];
    const before = counts();
    const container = await LoadAssetContainerAsync(bytes, scene, { pluginExtension: '.avatar' });
    assert.deepEqual(counts(), before, 'nothing is added to the scene before addAllToScene');
    container.addAllToScene();
    assert.deepEqual(counts(), [before[0] + container.meshes.length, before[1] + container.transformNodes.length, before[2] + container.materials.length, before[3] + container.textures.length, before[4] + 1]);
    const head = container.meshes.find((m) => m.name === 'avatar.head');
    assert.ok(head, `meshes: ${container.meshes.map((m) => m.name).join(', ')}`);
    const difference = maxPositionDifference(original.head, head);
    const avatar = getAvatar(head);
    assert.ok(avatar, 'getAvatar finds the Avatar from any node under its root');
    assert.equal(avatar.head, head);
    assert.equal((head.material as PBRMaterial).roughness, 0.42, 'material parameters come back');
    assert.equal(head.morphTargetManager?.numTargets, model.expressionNames.length);
    for (let k = 0; k < model.expressionNames.length; k++) assert.equal(head.morphTargetManager!.getTarget(k).influence, data.expression[k]);
    console.log(`    ${source}: .avatar ${(bytes.length / 1024).toFixed(1)} KiB -> container with ${container.meshes.length} meshes, ${container.transformNodes.length} nodes, ${container.materials.length} materials, ${container.textures.length} textures; max vertex difference ${difference.toExponential(2)}`);
    assert.ok(difference < 1e-4);
    container.removeAllFromScene();
    assert.equal(scene.getMeshByName('avatar.head'), null);
  });

  it('AppendSceneAsync loads a base64 data: URL', async function () {
    const bytes = writeAvatarFile(data);
    await AppendSceneAsync(`data:application/octet-stream;base64,${toBase64(bytes)}`, scene, { pluginExtension: '.avatar' });
    const head = scene.getMeshByName('avatar.head');
    assert.ok(head);
    const reference = buildAvatar(scene, data, { name: 'reference' });
    const difference = maxPositionDifference(reference.head, head);
    console.log(`    data: URL (${bytes.length} B): max vertex difference ${difference.toExponential(2)}`);
    assert.ok(difference < 1e-4);
  });

  it('ImportMeshAsync loads a File named bob.avatar into nodes named bob', async function () {
    const file = new File([writeAvatarFile(data)], 'bob.avatar');
    const result = await ImportMeshAsync(file, scene);
    const head = result.meshes.find((m) => m.name === 'bob.head');
    assert.ok(head, `meshes: ${result.meshes.map((m) => m.name).join(', ')}`);
    assert.ok(result.transformNodes.some((n) => n.name === 'bob'));
    assert.equal(getAvatar(head)?.root.name, 'bob');
  });

  it('fails cleanly on damaged files and unknown packs', async function () {
    const bytes = writeAvatarFile(data);
    const damaged = bytes.slice();
    damaged[30] ^= 0x40;
    await assert.rejects(LoadAssetContainerAsync(damaged, scene, { pluginExtension: '.avatar' }), (error: Error) => {
      const text = `${error.message} ${(error as { innerError?: Error }).innerError?.message ?? ''} ${(error.cause as Error)?.message ?? ''}`;
      console.log(`    damaged file: ${error.message}`);
      return /checksum|\.avatar/i.test(text);
    });
    const foreign = writeAvatarFile({ ...data, model: { ...model, id: 'not-registered@9' } });
    await assert.rejects(LoadAssetContainerAsync(foreign, scene, { pluginExtension: '.avatar' }), (error: Error) => {
      console.log(`    unknown pack: ${error.message}`);
      return /not-registered@9/.test(error.message);
    });
  });

  it('a .pack loaded through the scene loader makes its model available to .avatar files', async function () {
    const synthetic = syntheticHeadModel();
    const packed = { ...synthetic, id: 'synthetic-pack-via-loader@1' };
    const container = await LoadAssetContainerAsync(writePack(packed), scene, { pluginExtension: '.pack' });
    assert.equal(container.meshes.length, 0);
    const resolved = await resolveModelPack('synthetic-pack-via-loader@1');
    assert.equal(resolved.vertexCount, synthetic.vertexCount);
    const avatarBytes = writeAvatarFile(richAvatarData(packed, syntheticAlbedo(64)));
    const result = await ImportMeshAsync(avatarBytes, scene, { pluginExtension: '.avatar' });
    assert.ok(result.meshes.some((m) => m.name === 'avatar.head'));
  });
});
