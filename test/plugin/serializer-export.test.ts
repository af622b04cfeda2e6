import assert from 'node:assert/strict';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import type { AssetContainer } from '@babylonjs/core/assetContainer.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { Quaternion, Vector3, type Matrix } from '@babylonjs/core/Maths/math.vector.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import { PhotoAvatarError } from '../../src/errors.js';
import type { Avatar } from '../../src/plugin/avatar.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import type { AvatarData } from '../../src/types.js';
import { avatarDataFor } from '../export/synthetic-avatar.js';

function glbJson(glb: Uint8Array): any {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  assert.equal(view.getUint32(0, true), 0x46546c67, 'magic');
  assert.equal(view.getUint32(8, true), glb.byteLength, 'declared length');
  return JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + view.getUint32(12, true))));
}

/** Largest distance between two meshes' vertex lists, each taken through its own world matrix. */
function maxWorldDistance(a: ArrayLike<number>, worldA: Matrix, b: ArrayLike<number>, worldB: Matrix): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 3) {
    const pa = Vector3.TransformCoordinates(new Vector3(a[i], a[i + 1], a[i + 2]), worldA);
    const pb = Vector3.TransformCoordinates(new Vector3(b[i], b[i + 1], b[i + 2]), worldB);
    worst = Math.max(worst, pa.subtract(pb).length());
  }
  return worst;
}

function worldMatrix(mesh: AbstractMesh): Matrix {
  return mesh.computeWorldMatrix(true);
}

for (const variant of ['synthetic head', 'default head'] as const) describe(`plugin/Avatar.exportSceneGLB (${variant}, NullEngine)`, function () {
  let data: AvatarData;
  let engine: NullEngine;
  let scene: Scene;
  let avatar: Avatar;
  before(async function () {
    const made = await avatarDataFor(variant);
    if (!made) this.skip();
    data = made;
  });

  beforeEach(function () {
    engine = new NullEngine();
    scene = new Scene(engine);
    avatar = buildAvatar(scene, data);
  });

  afterEach(function () {
    avatar?.dispose();
    scene?.dispose();
    engine?.dispose();
  });

  it('rejects the textured export on NullEngine (no pixel readback) instead of hanging', async function () {
    const albedo = avatar.material.albedoTexture;
    await assert.rejects(avatar.exportSceneGLB(), (e: unknown) => e instanceof PhotoAvatarError && e.code === 'INVALID_ARGUMENT');
    assert.equal(avatar.material.albedoTexture, albedo);
  });

  it('exports only the avatar, with target names, skin and untextured materials; textures are put back', async function () {
    // A node outside the avatar must stay out of the file.
    buildAvatar(scene, data, { name: 'other' });
    const albedo = avatar.material.albedoTexture;
    const metallic = avatar.material.metallicTexture;
    const eyeAlbedo = avatar.eyeMaterial?.albedoTexture ?? null;
    const glb = await avatar.exportSceneGLB({ textures: false });
    const json = glbJson(glb);
    const names: string[] = json.nodes.map((n: { name: string }) => n.name);
    console.log(`    ${data.model.vertexCount} vertices: GLB ${(glb.byteLength / 1024).toFixed(1)} KiB, ${json.nodes.length} nodes, ${json.meshes.length} meshes, ${json.materials.length} materials, ${json.images?.length ?? 0} images, extensions ${(json.extensionsUsed ?? []).join(' ')}, head attributes ${Object.keys(json.meshes.at(-1).primitives[0].attributes).join(' ')}`);
    assert.ok(names.every((n) => n === 'avatar' || n.startsWith('avatar.')), `nodes: ${names.join(', ')}`);
    assert.equal(json.images, undefined, 'textures: false writes no images');
    const headMesh = json.meshes[json.nodes.find((n: { name: string; mesh?: number }) => n.name === 'avatar.head' && n.mesh !== undefined).mesh];
    assert.deepEqual(headMesh.extras.targetNames, data.model.expressionNames);
    // The mouth-interior tint lives in vertex colours (when the model has a mouth pocket).
    assert.equal(headMesh.primitives[0].attributes.COLOR_0 !== undefined, avatar.head.isVerticesDataPresent(VertexBuffer.ColorKind), 'COLOR_0 iff the head has colours');
    assert.equal(json.skins.length, 1);
    assert.deepEqual(json.skins[0].joints.map((j: number) => json.nodes[j].name), ['avatar.neck', 'avatar.head', 'avatar.jaw', 'avatar.eyeLeft', 'avatar.eyeRight']);
    assert.equal(avatar.material.albedoTexture, albedo);
    assert.equal(avatar.material.metallicTexture, metallic);
    assert.equal(avatar.eyeMaterial?.albedoTexture ?? null, eyeAlbedo);
  });

  it('re-imports with @babylonjs/loaders: same world positions, targets in order and bones, also when posed', async function () {
    // A live pose: jaw open, one expression changed, root moved; the export must carry all three.
    avatar.bones.jaw.rotationQuaternion = Quaternion.RotationAxis(Vector3.Right(), 0.2);
    if (data.model.expressionNames.length > 1) avatar.setExpression(data.model.expressionNames[1], 0.8);
    avatar.root.position = new Vector3(0.1, 1.5, -0.2);
    const glb = await avatar.exportSceneGLB({ textures: false });

    const engine2 = new NullEngine();
    const scene2 = new Scene(engine2);
    try {
      const container: AssetContainer = await LoadAssetContainerAsync(glb, scene2, { pluginExtension: '.glb' });
      container.addAllToScene();
      const head2 = container.meshes.find((m) => m.name === 'avatar.head') as Mesh | undefined;
      assert.ok(head2, `meshes: ${container.meshes.map((m) => m.name).join(', ')}`);
      scene.meshes.forEach((m) => m.computeWorldMatrix(true));
      scene2.meshes.forEach((m) => m.computeWorldMatrix(true));
      scene2.transformNodes.forEach((n) => n.computeWorldMatrix(true));

      // Rest positions (vertex buffer) through the node transforms: the exporter writes right-handed
      // vertex data (x negated) and the loader's __root__ converts back.
      const local1 = avatar.head.getVerticesData(VertexBuffer.PositionKind)!;
      const local2 = head2.getVerticesData(VertexBuffer.PositionKind)!;
      let localDiff = 0;
      for (let i = 0; i < local1.length; i++) localDiff = Math.max(localDiff, Math.abs(local1[i] - local2[i]));
      const restDiff = maxWorldDistance(local1, worldMatrix(avatar.head), local2, worldMatrix(head2));

      // Morph target names, order, weights and absolute positions.
      const manager1 = avatar.morphTargetManager;
      const manager2 = head2.morphTargetManager;
      assert.equal(manager2?.numTargets ?? 0, manager1.numTargets);
      const names2: string[] = [];
      let targetDiff = 0, weightDiff = 0;
      for (let k = 0; k < manager1.numTargets; k++) {
        const t1 = manager1.getTarget(k), t2 = manager2!.getTarget(k);
        names2.push(t2.name);
        weightDiff = Math.max(weightDiff, Math.abs(t1.influence - t2.influence));
        targetDiff = Math.max(targetDiff, maxWorldDistance(t1.getPositions()!, worldMatrix(avatar.head), t2.getPositions()!, worldMatrix(head2)));
      }
      assert.deepEqual(names2, data.model.expressionNames);

      // Skeleton: one bone per joint node, named after it, same hierarchy.
      const skeleton2 = head2.skeleton;
      assert.ok(skeleton2, 'the re-imported head is skinned');
      const bones2 = skeleton2.bones.map((b) => b.name);
      for (const bone of avatar.skeleton.bones) {
        const nodeName = bone.getTransformNode()!.name;
        assert.ok(bones2.includes(nodeName), `bone ${nodeName} in ${bones2.join(', ')}`);
        const parent2: string | undefined = skeleton2.bones.find((b) => b.name === nodeName)!.getParent()?.name;
        assert.equal(parent2, bone.getParent()?.getTransformNode()?.name);
      }

      // Posed, morphed and skinned positions on the CPU in both scenes.
      avatar.skeleton.computeAbsoluteMatrices(true);
      skeleton2.computeAbsoluteMatrices(true);
      const posed1 = avatar.head.getPositionData(true, true)!;
      const posed2 = head2.getPositionData(true, true)!;
      const posedDiff = maxWorldDistance(posed1, worldMatrix(avatar.head), posed2, worldMatrix(head2));
      let posedMove = 0;
      for (let i = 0; i < local1.length; i++) posedMove = Math.max(posedMove, Math.abs(posed1[i] - local1[i]));

      // Rigid parts (eyes) in world space.
      let eyeDiff = 0;
      for (const eye of avatar.eyes) {
        const eye2 = container.meshes.find((m) => m.name === eye.name && m.getTotalVertices() > 0) as Mesh | undefined;
        assert.ok(eye2, `eye ${eye.name}`);
        eyeDiff = Math.max(eyeDiff, maxWorldDistance(eye.getVerticesData(VertexBuffer.PositionKind)!, worldMatrix(eye), eye2.getVerticesData(VertexBuffer.PositionKind)!, worldMatrix(eye2)));
      }

      console.log(`    local vertex data differs by ${localDiff.toExponential(2)} (handedness), world-space max diff: rest ${restDiff.toExponential(2)}, targets ${targetDiff.toExponential(2)}, posed+morphed+skinned ${posedDiff.toExponential(2)} (pose moves vertices up to ${(posedMove * 1000).toFixed(1)} mm), eyes ${eyeDiff.toExponential(2)}; weight diff ${weightDiff.toExponential(2)}; bones ${bones2.join(', ')}`);
      assert.ok(restDiff < 1e-5, `rest ${restDiff}`);
      assert.ok(targetDiff < 1e-5, `targets ${targetDiff}`);
      assert.ok(posedMove > 1e-3, 'the pose moves the head');
      assert.ok(posedDiff < 1e-5, `posed ${posedDiff}`);
      assert.ok(eyeDiff < 1e-5, `eyes ${eyeDiff}`);
      assert.ok(weightDiff < 1e-6, `weights ${weightDiff}`);
    } finally {
      scene2.dispose();
      engine2.dispose();
    }
  });
});
