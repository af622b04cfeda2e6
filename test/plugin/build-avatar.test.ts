import assert from 'node:assert/strict';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import type { AvatarData } from '../../src/types.js';
import { loadTestHeadModel, makeAvatarData, syntheticHeadModel } from '../export/synthetic-avatar.js';

for (const variant of ['synthetic head', 'default head'] as const) describe(`plugin/buildAvatar (${variant})`, function () {
  let data: AvatarData;
  let engine: NullEngine;
  let scene: Scene;
  before(async function () {
    const loaded = variant === 'synthetic head' ? { model: syntheticHeadModel(), source: variant } : await loadTestHeadModel();
    if (loaded.source !== variant) {
      console.log(`    skipped: ${variant} unavailable`);
      this.skip();
    }
    data = makeAvatarData(loaded.model);
  });
  beforeEach(function () {
    engine = new NullEngine();
    scene = new Scene(engine);
  });
  afterEach(function () {
    scene?.dispose();
    engine?.dispose();
  });

  it('builds meshes, bones, morph targets and materials from AvatarData', function () {
    const start = performance.now();
    const avatar = buildAvatar(scene, data);
    const ms = performance.now() - start;
    const { model } = data;
    assert.equal(avatar.head.getTotalVertices(), model.vertexCount);
    assert.equal(avatar.eyes.length, model.parts.filter((p) => p.material === 'eye').length);
    assert.deepEqual(avatar.expressionNames, model.expressionNames);
    assert.equal(avatar.morphTargetManager.numTargets, model.expressionNames.length);
    for (let k = 0; k < model.expressionNames.length; k++) {
      const target = avatar.morphTargetManager.getTarget(k);
      assert.equal(target.name, model.expressionNames[k]);
      assert.ok(Math.abs(target.influence - data.expression[k]) < 1e-6);
    }
    assert.equal(avatar.material.getClassName(), 'PBRMaterial');
    assert.equal(avatar.material.metallic, 0);
    assert.ok(avatar.material.albedoTexture, 'albedo texture');
    assert.equal(avatar.material.subSurface.isScatteringEnabled, false, 'no scattering on NullEngine');
    assert.equal(avatar.bones.jaw.parent, avatar.bones.head);
    assert.equal(avatar.bones.head.parent, avatar.bones.neck);
    // World position of a vertex: the glTF loader's convention, world = (-x, y, z).
    avatar.root.computeWorldMatrix(true);
    const v = 5;
    const world = Vector3.TransformCoordinates(
      new Vector3(data.neutralVertices[3 * v], data.neutralVertices[3 * v + 1], data.neutralVertices[3 * v + 2]),
      avatar.head.computeWorldMatrix(true));
    const worldError = Math.max(Math.abs(world.x + data.neutralVertices[3 * v]), Math.abs(world.y - data.neutralVertices[3 * v + 1]), Math.abs(world.z - data.neutralVertices[3 * v + 2]));
    console.log(`    ${variant}: ${model.vertexCount} vertices, ${avatar.morphTargetManager.numTargets} targets, ${avatar.eyes.length} eyes, built in ${ms.toFixed(0)} ms, world mapping error ${worldError.toExponential(2)}`);
    assert.ok(worldError < 1e-6);
  });

  it('setExpression moves the vertices by the expression basis', function () {
    const avatar = buildAvatar(scene, data);
    if (avatar.expressionNames.length === 0) {
      console.log('    skipped: the model has no expression modes');
      this.skip();
    }
    const name = avatar.expressionNames[0];
    avatar.setExpressionCoefficients(new Float32Array(avatar.expressionNames.length));
    const neutral = Float32Array.from(avatar.head.getPositionData(false, true)!);
    avatar.setExpression(name, 1);
    assert.equal(avatar.getExpression(name), 1);
    assert.equal(avatar.coefficients.expression[0], 1);
    const expressed = avatar.head.getPositionData(false, true)!;
    const n3 = data.neutralVertices.length;
    let maxError = 0, maxMove = 0;
    for (let i = 0; i < n3; i++) {
      const moved = expressed[i] - neutral[i];
      maxMove = Math.max(maxMove, Math.abs(moved));
      maxError = Math.max(maxError, Math.abs(moved - data.model.expressionBasis[i]));
    }
    console.log(`    '${name}' at 1: max vertex move ${(maxMove * 1000).toFixed(2)} mm, max error vs basis ${maxError.toExponential(2)}`);
    assert.ok(maxMove > 1e-4, 'the expression moves something');
    assert.ok(maxError < 1e-5);
    assert.throws(() => avatar.setExpression('noSuchExpression', 1), (e: unknown) => e instanceof PhotoAvatarError && e.code === 'INVALID_ARGUMENT');
    assert.throws(() => avatar.setExpressionCoefficients([1]), PhotoAvatarError);
    avatar.resetExpression();
    assert.ok(Math.abs(avatar.getExpression(name) - data.expression[0]) < 1e-6);
  });

  it('eyes look at a world point', function () {
    const avatar = buildAvatar(scene, data);
    avatar.root.position = new Vector3(0.3, -0.1, 0.5);
    avatar.root.computeWorldMatrix(true);
    const eye = avatar.bones.eyeLeft;
    const eyeWorld = eye.getAbsolutePosition().clone();
    // A point in front of the face (world +Z, like the model's +Z) and a little to one side and up.
    const target = eyeWorld.add(new Vector3(0.1, 0.08, 0.6));
    avatar.lookAt(target);
    eye.computeWorldMatrix(true);
    // The eye's gaze (+Z in model space) in world space.
    const gaze = Vector3.TransformNormal(new Vector3(0, 0, 1), eye.computeWorldMatrix(true)).normalize();
    const wanted = target.subtract(eyeWorld).normalize();
    const angle = (Math.acos(Math.min(1, Vector3.Dot(gaze, wanted))) * 180) / Math.PI;
    console.log(`    gaze error after lookAt: ${angle.toFixed(3)}°`);
    assert.ok(angle < 0.5, `gaze off by ${angle}°`);
    avatar.resetGaze();
  });

  it('dispose removes everything it created', function () {
    // The BRDF lookup texture that PBR materials create belongs to the scene and is shared.
    const ownTextures = () => scene.textures.filter((t) => t !== scene.environmentBRDFTexture).length;
    const before = { meshes: scene.meshes.length, materials: scene.materials.length, textures: ownTextures(), nodes: scene.transformNodes.length, managers: scene.morphTargetManagers.length };
    const avatar = buildAvatar(scene, data);
    assert.ok(scene.meshes.length > before.meshes);
    avatar.dispose();
    const after = { meshes: scene.meshes.length, materials: scene.materials.length, textures: ownTextures(), nodes: scene.transformNodes.length, managers: scene.morphTargetManagers.length };
    console.log(`    after dispose: ${JSON.stringify(after)} (before build ${JSON.stringify(before)})`);
    assert.deepEqual(after, before);
    assert.ok(avatar.isDisposed);
    avatar.dispose();
  });
});
