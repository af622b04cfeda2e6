import assert from 'node:assert/strict';
import { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Quaternion, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { prepareAvatarArrays } from '../../src/plugin/build-arrays.js';
import { buildAvatar, buildAvatarInSlices } from '../../src/plugin/build-avatar.js';
import type { AvatarData } from '../../src/types.js';
import { avatarDataFor } from '../export/synthetic-avatar.js';

for (const variant of ['synthetic head', 'default head'] as const) describe(`plugin/buildAvatar (${variant})`, function () {
  let data: AvatarData;
  let engine: NullEngine;
  let scene: Scene;
  before(async function () {
    const made = await avatarDataFor(variant);
    if (!made) this.skip();
    data = made;
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
    assert.ok(avatar.material.metallicTexture?.name.endsWith('.roughness'), 'roughness map');
    assert.ok(avatar.material.useRoughnessFromMetallicTextureGreen && avatar.material.useMetallnessFromMetallicTextureBlue);
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
    // Lash and brow cards (default head): blended strand materials with their textures.
    for (const part of model.parts.filter((p) => p.material === 'lashes' || p.material === 'brows')) {
      const mesh = avatar.otherMeshes.find((m) => m.name === `avatar.${part.name}`);
      assert.ok(mesh, `${part.name} mesh`);
      const material = mesh.material as PBRMaterial;
      assert.ok(material.albedoTexture && material.useAlphaFromAlbedoTexture, `${part.name} strand texture`);
      assert.equal(material.transparencyMode, PBRMaterial.PBRMATERIAL_ALPHABLEND);
      assert.ok(mesh.morphTargetManager && mesh.morphTargetManager.numTargets === part.morphs!.names.length);
    }
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
    // The lashes follow the blink: their target takes the head's weight.
    const lashes = avatar.otherMeshes.find((m) => m.name === 'avatar.lashes');
    if (lashes) {
      const target = Array.from({ length: lashes.morphTargetManager!.numTargets }, (_, k) => lashes.morphTargetManager!.getTarget(k)).find((t) => t.name === name);
      assert.equal(target?.influence, 1, `lashes follow ${name}`);
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

  it('skeleton: the jaw bone opens the mouth, the neck bends smoothly, morph targets still apply', function () {
    const avatar = buildAvatar(scene, data);
    const { model } = data;
    assert.deepEqual(avatar.skeleton.bones.map((b) => b.name), ['neck', 'head', 'jaw', 'eyeLeft', 'eyeRight']);
    assert.equal(avatar.skeleton.bones[2].getParent()?.name, 'head');
    assert.equal(avatar.head.skeleton, avatar.skeleton);
    const weights = avatar.head.getVerticesData('matricesWeights')!;
    let worstSum = 0;
    for (let v = 0; v < model.vertexCount; v++) worstSum = Math.max(worstSum, Math.abs(weights[4 * v] + weights[4 * v + 1] + weights[4 * v + 2] + weights[4 * v + 3] - 1));
    assert.ok(worstSum < 1e-6, `weights sum to 1 (worst ${worstSum})`);
    const skinned = () => {
      avatar.skeleton.prepare(true);
      return Float32Array.from(avatar.head.getPositionData(true, true)!);
    };
    const moveOf = (a: Float32Array, b: Float32Array, v: number) => Math.hypot(a[3 * v] - b[3 * v], a[3 * v + 1] - b[3 * v + 1], a[3 * v + 2] - b[3 * v + 2]);
    const rest = skinned();
    const morphed = avatar.head.getPositionData(false, true)!;
    let restError = 0;
    for (let i = 0; i < rest.length; i++) restError = Math.max(restError, Math.abs(rest[i] - morphed[i]));
    assert.ok(restError < 1e-6, `rest pose skinning is the identity (error ${restError})`);

    avatar.bones.jaw.rotationQuaternion = Quaternion.RotationAxis(new Vector3(1, 0, 0), (15 * Math.PI) / 180);
    const jawOpen = skinned();
    const lm = model.landmarks68;
    // Forehead: the vertex highest up among those in front of the eyes.
    const eyeZ = jawOpen[3 * lm[36] + 2];
    let forehead = 0;
    for (let v = 0; v < model.vertexCount; v++) if (rest[3 * v + 2] > eyeZ - 0.01 && rest[3 * v + 1] > rest[3 * forehead + 1]) forehead = v;
    const chinMove = moveOf(jawOpen, rest, lm[8]);
    const lowerLipMove = moveOf(jawOpen, rest, lm[57]);
    const upperLipMove = moveOf(jawOpen, rest, lm[51]);
    const noseMove = moveOf(jawOpen, rest, lm[30]);
    const foreheadMove = moveOf(jawOpen, rest, forehead);
    console.log(`    jaw 15°: chin ${(chinMove * 1000).toFixed(2)} mm, lower lip ${(lowerLipMove * 1000).toFixed(2)} mm, upper lip ${(upperLipMove * 1000).toFixed(2)} mm, nose tip ${(noseMove * 1000).toFixed(3)} mm, forehead ${(foreheadMove * 1000).toFixed(3)} mm`);
    assert.ok(chinMove > 0.01, 'the chin moves more than 1 cm');
    assert.ok(jawOpen[3 * lm[8] + 1] < rest[3 * lm[8] + 1] - 0.005, 'the chin goes down');
    if (variant === 'default head') {
      // The synthetic head's landmarks are spread on an arc, not on lips.
      assert.ok(lowerLipMove > 0.004);
      assert.ok(upperLipMove < 0.25 * lowerLipMove, 'the upper lip stays mostly');
    }
    assert.ok(foreheadMove < 1e-6, 'the forehead stays');
    if (variant === 'default head') assert.ok(noseMove < 1e-4, 'the nose stays');
    avatar.bones.jaw.rotationQuaternion = Quaternion.Identity();

    // The head joint bends the neck: the top turns fully, the mesh bottom (all neck) stays, and the
    // skin in between stretches without tearing.
    avatar.bones.head.rotationQuaternion = Quaternion.RotationYawPitchRoll((15 * Math.PI) / 180, (5 * Math.PI) / 180, 0);
    const bent = skinned();
    let bottom = 0;
    for (let v = 0; v < model.vertexCount; v++) if (rest[3 * v + 1] < rest[3 * bottom + 1]) bottom = v;
    const distance = (p: Float32Array, a: number, b: number) => Math.hypot(p[3 * a] - p[3 * b], p[3 * a + 1] - p[3 * b + 1], p[3 * a + 2] - p[3 * b + 2]);
    let worstStretch = 0;
    for (let t = 0; t < model.indices.length; t += 3) {
      for (let e = 0; e < 3; e++) {
        const a = model.indices[t + e], b = model.indices[t + ((e + 1) % 3)];
        const before = distance(rest, a, b);
        if (before > 1e-4) worstStretch = Math.max(worstStretch, Math.abs(distance(bent, a, b) / before - 1));
      }
    }
    console.log(`    head 15° yaw + 5° pitch: forehead ${(moveOf(bent, rest, forehead) * 1000).toFixed(1)} mm, mesh bottom ${(moveOf(bent, rest, bottom) * 1000).toFixed(3)} mm, worst edge stretch ${(worstStretch * 100).toFixed(1)}%`);
    assert.ok(moveOf(bent, rest, forehead) > 0.01);
    assert.ok(moveOf(bent, rest, bottom) < 0.001);
    assert.ok(worstStretch < 0.6, `edges stretch by ${worstStretch}`);
    avatar.bones.head.rotationQuaternion = Quaternion.Identity();

    // Morph targets and skinning together: jawOpen-style target plus the jaw bone.
    const name = avatar.expressionNames[0];
    avatar.setExpressionCoefficients(new Float32Array(avatar.expressionNames.length));
    const neutral = skinned();
    avatar.setExpression(name, 1);
    const expressed = skinned();
    const k = model.expressionBasis.subarray(0, model.vertexCount * 3);
    let morphError = 0;
    for (let i = 0; i < expressed.length; i++) morphError = Math.max(morphError, Math.abs(expressed[i] - neutral[i] - k[i]));
    console.log(`    '${name}' through the skinned path: max error vs basis ${morphError.toExponential(2)}`);
    assert.ok(morphError < 1e-5);
  });

  /** What an avatar adds to the scene (the BRDF lookup texture PBR materials create is the scene's, shared). */
  const sceneCounts = () => ({
    meshes: scene.meshes.length, materials: scene.materials.length, textures: scene.textures.filter((t) => t !== scene.environmentBRDFTexture).length,
    nodes: scene.transformNodes.length, managers: scene.morphTargetManagers.length,
  });

  it('dispose removes everything it created', function () {
    const before = sceneCounts();
    const avatar = buildAvatar(scene, data);
    assert.ok(scene.meshes.length > before.meshes);
    avatar.dispose();
    const after = sceneCounts();
    console.log(`    after dispose: ${JSON.stringify(after)} (before build ${JSON.stringify(before)})`);
    assert.deepEqual(after, before);
    assert.ok(avatar.isDisposed);
    avatar.dispose();
  });

  it('buildAvatarInSlices makes the same objects in several tasks, hidden until done', async function () {
    const reference = sceneCounts();
    const once = buildAvatar(scene, data, { name: 'once' });
    const added = Object.fromEntries(Object.entries(sceneCounts()).map(([key, n]) => [key, n - reference[key as keyof typeof reference]]));
    once.dispose();
    const arrays = prepareAvatarArrays(data);
    let tasks = 0, enabledDuringBuild = false;
    const { avatar, report } = await buildAvatarInSlices(scene, data, arrays, {
      budgetMs: 0,
      onStep: () => {
        tasks++;
        enabledDuringBuild ||= scene.getTransformNodeByName('sliced')?.isEnabled() ?? false;
      },
      name: 'sliced',
    });
    console.log(`    ${report.steps} steps in ${report.slices} tasks, work ${report.workMs.toFixed(1)} ms, longest step ${report.longestStepMs.toFixed(1)} ms (${report.longestStep})`);
    assert.deepEqual(Object.fromEntries(Object.entries(sceneCounts()).map(([key, n]) => [key, n - reference[key as keyof typeof reference]])), added);
    assert.equal(report.steps, tasks);
    // Budget 0: a yield after every step (the last task only returns the avatar).
    assert.equal(report.slices, report.steps + 1);
    assert.ok(report.steps >= 10 + data.model.expressionNames.length, `${report.steps} steps`);
    assert.ok(!enabledDuringBuild, 'the half-built avatar was enabled');
    assert.ok(avatar.root.isEnabled());
    assert.equal(avatar.morphTargetManager.numTargets, data.model.expressionNames.length);
    assert.equal(avatar.head.getTotalVertices(), data.model.vertexCount);
    avatar.dispose();
  });

  it('buildAvatarInSlices: an abort mid-build rejects with ABORTED and leaves nothing in the scene', async function () {
    const before = sceneCounts();
    const controller = new AbortController();
    let steps = 0;
    await assert.rejects(
      buildAvatarInSlices(scene, data, prepareAvatarArrays(data), { budgetMs: 0, signal: controller.signal, onStep: () => { if (++steps === 8) controller.abort(); } }),
      (error: unknown) => error instanceof PhotoAvatarError && error.code === 'ABORTED',
    );
    assert.equal(steps, 8);
    assert.deepEqual(sceneCounts(), before);
  });
});
