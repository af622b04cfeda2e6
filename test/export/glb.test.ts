import assert from 'node:assert/strict';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { MorphTarget } from '@babylonjs/core/Morph/morphTarget.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import { Quaternion, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import { writeGlb } from '../../src/export/glb.js';
import type { AvatarData } from '../../src/types.js';
import { partsFollowingShape } from '../../src/modelpack/head-model.js';
import { loadTestHeadModel, makeAvatarData, syntheticHeadModel } from './synthetic-avatar.js';

interface GlbParts { json: any; bin: Uint8Array }

function parseGlb(glb: Uint8Array): GlbParts {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  assert.equal(view.getUint32(0, true), 0x46546c67, 'magic');
  assert.equal(view.getUint32(4, true), 2, 'version');
  assert.equal(view.getUint32(8, true), glb.byteLength, 'declared length');
  const jsonLength = view.getUint32(12, true);
  assert.equal(view.getUint32(16, true), 0x4e4f534a, 'JSON chunk type');
  assert.equal(jsonLength % 4, 0);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength)));
  const binStart = 20 + jsonLength;
  const binLength = view.getUint32(binStart, true);
  assert.equal(view.getUint32(binStart + 4, true), 0x004e4942, 'BIN chunk type');
  assert.equal(binLength % 4, 0);
  return { json, bin: glb.subarray(binStart + 8, binStart + 8 + binLength) };
}

/**
 * The lash and brow cards (default head): blended strand textures, on the fitted shape (they
 * follow the identity vertex by vertex), and moved by the expressions that move their skin.
 */
function checkFaceCards(meshes: Mesh[], data: AvatarData): void {
  const expected = partsFollowingShape(data.model, data.neutralVertices);
  for (const name of ['lashes', 'brows']) {
    const mesh = meshes.find((m) => m.name === `${name}Mesh`);
    assert.ok(mesh, `${name} mesh`);
    const material = mesh.material as PBRMaterial;
    assert.ok(material.albedoTexture, `${name} texture`);
    assert.equal(material.transparencyMode, PBRMaterial.PBRMATERIAL_ALPHABLEND, `${name}: blended (glTF BLEND)`);
    assert.equal(material.backFaceCulling, false, `${name}: both sides`);
    const part = expected.find((p) => p.name === name)!;
    const positions = mesh.getVerticesData(VertexBuffer.PositionKind)!;
    let error = 0, shift = 0;
    const rest = data.model.parts.find((p) => p.name === name)!.positions;
    for (let i = 0; i < positions.length; i++) { error = Math.max(error, Math.abs(positions[i] - part.positions[i])); shift = Math.max(shift, Math.abs(part.positions[i] - rest[i])); }
    console.log(`    ${name}: ${positions.length / 3} vertices, ${mesh.morphTargetManager?.numTargets ?? 0} targets, off the fitted shape by ${error.toExponential(2)} m (the identity moved it up to ${(shift * 1000).toFixed(2)} mm)`);
    assert.ok(error < 1e-5);
    assert.ok(shift > 1e-4, `${name} follows the identity`);
  }
  // Vertical travel (mm) of a card's vertices on one side under a target at 1: the largest drop and rise.
  const travel = (name: string, target: string, side: 1 | -1): { down: number; up: number } => {
    const mesh = meshes.find((m) => m.name === `${name}Mesh`)!;
    const manager = mesh.morphTargetManager!;
    const morph = Array.from({ length: manager.numTargets }, (_, k) => manager.getTarget(k)).find((t) => t.name === target);
    assert.ok(morph, `${name} has ${target}`);
    const base = mesh.getVerticesData(VertexBuffer.PositionKind)!, moved = morph.getPositions()!;
    let down = 0, up = 0;
    for (let i = 0; i < base.length; i += 3) {
      if (Math.sign(base[i]) !== side) continue;
      down = Math.max(down, base[i + 1] - moved[i + 1]);
      up = Math.max(up, moved[i + 1] - base[i + 1]);
    }
    return { down: down * 1000, up: up * 1000 };
  };
  const blink = travel('lashes', 'eyeBlink_L', 1), otherEye = travel('lashes', 'eyeBlink_L', -1);
  const browUp = travel('brows', 'browInnerUp', 1), browDown = travel('brows', 'browDown_L', 1);
  console.log(`    eyeBlink_L: left lashes drop ${blink.down.toFixed(1)} mm, right ${otherEye.down.toFixed(2)} mm; browInnerUp raises the brow ${browUp.up.toFixed(1)} mm, browDown_L lowers it ${browDown.down.toFixed(1)} mm`);
  assert.ok(blink.down > 5, 'the upper lashes come down with the lid');
  assert.ok(otherEye.down < 0.1, 'the other eye stays open');
  assert.ok(browUp.up > 1 && browDown.down > 1, 'the brows move with the brow targets');
}

for (const variant of ['synthetic head', 'default head'] as const) describe(`export/glb (${variant})`, function () {
  let data: AvatarData;
  let source = '';
  before(async function () {
    const loaded = variant === 'synthetic head' ? { model: syntheticHeadModel(), source: variant } : await loadTestHeadModel();
    if (loaded.source !== variant) {
      console.log(`    skipped: ${variant} unavailable`);
      this.skip();
    }
    data = makeAvatarData(loaded.model);
    source = loaded.source;
  });

  it('writes a well-formed glTF 2.0 binary', function () {
    const glb = writeGlb(data);
    const { json, bin } = parseGlb(glb);
    console.log(`    ${source}: ${data.model.vertexCount} vertices, ${data.model.expressionNames.length} targets, GLB ${(glb.byteLength / 1024).toFixed(1)} KiB, JSON ${JSON.stringify(json).length} B, ${json.accessors.length} accessors (${json.accessors.filter((a: { sparse?: unknown }) => a.sparse).length} sparse), ${json.nodes.length} nodes`);
    assert.equal(json.asset.version, '2.0');
    assert.equal(json.buffers[0].byteLength, bin.byteLength);
    for (const view of json.bufferViews) {
      assert.equal(view.byteOffset % 4, 0, 'bufferView 4-byte aligned');
      assert.ok(view.byteOffset + view.byteLength <= bin.byteLength, 'bufferView inside the buffer');
    }
    const componentBytes: Record<number, number> = { 5126: 4, 5125: 4, 5123: 2, 5121: 1 };
    const typeCount: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT4: 16 };
    for (const accessor of json.accessors) {
      if (accessor.sparse) {
        assert.equal(accessor.bufferView, undefined);
        const sparse = accessor.sparse;
        assert.equal(json.bufferViews[sparse.indices.bufferView].byteLength, sparse.count * componentBytes[sparse.indices.componentType]);
        assert.equal(json.bufferViews[sparse.values.bufferView].byteLength, sparse.count * typeCount[accessor.type] * 4);
        continue;
      }
      if (accessor.bufferView === undefined) continue; // all-zero morph delta
      const view = json.bufferViews[accessor.bufferView];
      assert.equal(accessor.count * typeCount[accessor.type] * componentBytes[accessor.componentType], view.byteLength);
    }
    const head = json.meshes[0];
    const primitive = head.primitives[0];
    assert.ok(json.accessors[primitive.attributes.POSITION].min, 'POSITION min');
    if (data.model.expressionNames.length > 0) {
      assert.deepEqual(head.extras.targetNames, data.model.expressionNames);
      assert.equal(primitive.targets.length, data.model.expressionNames.length);
      for (const target of primitive.targets) assert.ok(json.accessors[target.POSITION].max, 'target POSITION max');
      assert.deepEqual(head.weights, Array.from(data.expression));
    }
    const names = json.nodes.map((n: { name: string }) => n.name);
    for (const joint of ['avatar', 'neck', 'head', 'jaw', 'eyeLeft', 'eyeRight', 'headMesh']) assert.ok(names.includes(joint), joint);
    // Skin: five joints, one inverse bind matrix each, weights summing to 1 on every vertex.
    assert.equal(json.skins.length, 1);
    assert.deepEqual(json.skins[0].joints.map((j: number) => json.nodes[j].name), ['neck', 'head', 'jaw', 'eyeLeft', 'eyeRight']);
    assert.equal(json.accessors[json.skins[0].inverseBindMatrices].count, 5);
    assert.equal(json.nodes.find((n: { name: string }) => n.name === 'headMesh').skin, 0);
    const weightAccessor = json.accessors[primitive.attributes.WEIGHTS_0];
    const weightView = json.bufferViews[weightAccessor.bufferView];
    const storedWeights = new Float32Array(bin.slice(weightView.byteOffset, weightView.byteOffset + weightView.byteLength).buffer);
    let worstSum = 0, jawVertices = 0;
    for (let v = 0; v < weightAccessor.count; v++) {
      worstSum = Math.max(worstSum, Math.abs(storedWeights[4 * v] + storedWeights[4 * v + 1] + storedWeights[4 * v + 2] + storedWeights[4 * v + 3] - 1));
      if (storedWeights[4 * v + 2] > 0.5) jawVertices++;
    }
    console.log(`    skin: ${jawVertices} of ${weightAccessor.count} vertices mostly on the jaw, worst weight-sum error ${worstSum.toExponential(2)}`);
    assert.ok(worstSum < 1e-6);
    // Positions round-trip exactly through the buffer.
    const positionAccessor = json.accessors[primitive.attributes.POSITION];
    const positionView = json.bufferViews[positionAccessor.bufferView];
    const stored = new Float32Array(bin.slice(positionView.byteOffset, positionView.byteOffset + positionView.byteLength).buffer);
    assert.deepEqual(stored, data.neutralVertices);
    const jpeg = writeGlb(data, { textureFormat: 'jpeg', jpegQuality: 85 });
    assert.equal(parseGlb(jpeg).json.images[0].mimeType, 'image/jpeg');
    console.log(`    JPEG variant: ${(jpeg.byteLength / 1024).toFixed(1)} KiB; without morph normals: ${(writeGlb(data, { morphNormals: false }).byteLength / 1024).toFixed(1)} KiB`);
  });

  it('loads back in Babylon (NullEngine) with matching geometry, targets and material', async function () {
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const glb = writeGlb(data);
      const container = await LoadAssetContainerAsync(glb, scene, { pluginExtension: '.glb' });
      container.addAllToScene();
      const headMesh = container.meshes.find((m) => m.name === 'headMesh') as Mesh | undefined;
      assert.ok(headMesh, `meshes: ${container.meshes.map((m) => m.name).join(', ')}`);
      const positions = headMesh.getVerticesData(VertexBuffer.PositionKind)!;
      assert.equal(positions.length, data.neutralVertices.length);
      // Local vertex data stays in glTF space; the loader's __root__ (rotation Y 180°, scale z -1)
      // carries the right- to left-handed conversion, so world = (-x, y, z) + joint offsets.
      let maxError = 0;
      for (let i = 0; i < positions.length; i++) maxError = Math.max(maxError, Math.abs(positions[i] - data.neutralVertices[i]));
      scene.meshes.forEach((m) => m.computeWorldMatrix(true));
      const world = Vector3.TransformCoordinates(
        new Vector3(positions[0], positions[1], positions[2]), headMesh.computeWorldMatrix(true));
      const worldError = Math.max(
        Math.abs(world.x + data.neutralVertices[0]), Math.abs(world.y - data.neutralVertices[1]), Math.abs(world.z - data.neutralVertices[2]));
      console.log(`    re-import: max local position error ${maxError.toExponential(2)}, vertex 0 world error (x mirrored) ${worldError.toExponential(2)}`);
      assert.ok(maxError < 1e-5);
      assert.ok(worldError < 1e-5);
      const manager = headMesh.morphTargetManager;
      const targetCount = manager?.numTargets ?? 0;
      assert.equal(targetCount, data.model.expressionNames.length);
      if (manager && targetCount > 0) {
      for (let k = 0; k < manager.numTargets; k++) {
        const target: MorphTarget = manager.getTarget(k);
        assert.equal(target.name, data.model.expressionNames[k]);
        assert.ok(Math.abs(target.influence - data.expression[k]) < 1e-6);
      }
      // Loader stores absolute target positions: base + delta (sparse deltas expanded).
      let targetError = 0;
      const n3 = data.neutralVertices.length;
      for (let k = 0; k < targetCount; k++) {
        const positions = manager.getTarget(k).getPositions()!;
        for (let i = 0; i < n3; i++) targetError = Math.max(targetError, Math.abs(positions[i] - (data.neutralVertices[i] + data.model.expressionBasis[k * n3 + i])));
      }
      console.log(`    re-import: max morph target position error ${targetError.toExponential(2)} over ${targetCount} targets`);
      assert.ok(targetError < 1e-5, `target error ${targetError}`);
      }
      // getClassName, not instanceof: the loader may reach PBRMaterial through another module instance.
      const material = headMesh.material as PBRMaterial;
      assert.equal(material?.getClassName(), 'PBRMaterial');
      assert.ok(material.albedoTexture, 'albedo texture');
      assert.equal(material.metallic, 0);
      // The roughness map comes back as the metallic-roughness texture (G roughness, B metallic).
      assert.ok(material.metallicTexture, 'metallic-roughness texture');
      assert.ok(material.useRoughnessFromMetallicTextureGreen && material.useMetallnessFromMetallicTextureBlue);
      assert.equal(material.roughness, 1);
      // COLOR_0 darkens the mouth pocket where the pack has one (the default head does).
      const colours = headMesh.getVerticesData(VertexBuffer.ColorKind);
      if (variant === 'default head') {
        assert.ok(colours, 'vertex colours');
        let dark = 0;
        for (let i = 0; i < colours.length; i += 4) if (colours[i] < 0.2) dark++;
        console.log(`    re-import: ${dark} vertices tinted dark (mouth pocket)`);
        assert.ok(dark > 100);
      }
      const eyes = container.meshes.filter((m) => /^eye(Left|Right)Mesh$/.test(m.name));
      const eyeParts = data.model.parts.filter((p) => p.material === 'eye').length;
      assert.equal(eyes.length, eyeParts);
      for (const eye of eyes) assert.ok((eye.material as PBRMaterial).albedoTexture, 'eye texture');
      const jaw = container.transformNodes.find((n: TransformNode) => n.name === 'jaw');
      assert.ok(jaw && jaw.parent?.name === 'head', 'jaw under head');
      // The skin comes back as a skeleton with the same bones, and the jaw opens the mouth.
      const skeleton = headMesh.skeleton;
      assert.ok(skeleton, 'the head mesh is skinned');
      assert.deepEqual(skeleton.bones.map((b) => b.name), ['neck', 'head', 'jaw', 'eyeLeft', 'eyeRight']);
      if (manager) for (let k = 0; k < manager.numTargets; k++) manager.getTarget(k).influence = 0;
      skeleton.prepare(true);
      const rest = Float32Array.from(headMesh.getPositionData(true, true)!);
      jaw.rotationQuaternion = Quaternion.RotationAxis(new Vector3(1, 0, 0), (15 * Math.PI) / 180);
      skeleton.prepare(true);
      const opened = headMesh.getPositionData(true, true)!;
      let restError = 0;
      for (let i = 0; i < rest.length; i++) restError = Math.max(restError, Math.abs(rest[i] - data.neutralVertices[i]));
      const chin = data.model.landmarks68[8];
      const chinMove = Math.hypot(opened[3 * chin] - rest[3 * chin], opened[3 * chin + 1] - rest[3 * chin + 1], opened[3 * chin + 2] - rest[3 * chin + 2]);
      let top = 0;
      for (let v = 0; v < data.model.vertexCount; v++) if (rest[3 * v + 1] > rest[3 * top + 1]) top = v;
      const topMove = Math.hypot(opened[3 * top] - rest[3 * top], opened[3 * top + 1] - rest[3 * top + 1], opened[3 * top + 2] - rest[3 * top + 2]);
      console.log(`    re-import skin: rest pose error ${restError.toExponential(2)}, jaw 15°: chin moves ${(chinMove * 1000).toFixed(2)} mm, top of head ${(topMove * 1000).toFixed(3)} mm`);
      assert.ok(restError < 1e-5);
      assert.ok(chinMove > 0.01);
      assert.ok(topMove < 1e-6);
      if (variant === 'default head') checkFaceCards(container.meshes as Mesh[], data);
      console.log(`    re-import: ${container.meshes.length} meshes (${container.meshes.map((m) => m.name).join(', ')}), ${container.transformNodes.length} transform nodes, ${targetCount} targets, ${container.textures.length} textures`);
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });
});
