import assert from 'node:assert/strict';
import type { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { Avatar } from '../../src/plugin/avatar.js';
import { useNullEngineAvatar } from '../helpers/null-engine-avatar.js';

describe('plugin/avatar levels of detail (NullEngine)', function () {
  this.timeout(60_000);
  let engine: NullEngine;
  let scene: Scene;
  let avatar: Avatar;
  let source = '';
  let headLevels: Mesh[] = [];
  useNullEngineAvatar((live) => ({ engine, scene, avatar, source } = live));

  it('adds 50 % and 25 % levels through addLODLevel that share morph targets, skeleton and material', async function () {
    const meshLevels = await avatar.addLevelsOfDetail();
    assert.equal(meshLevels.length, 1 + avatar.eyes.length + avatar.otherMeshes.length + (avatar.hairMesh ? 1 : 0));
    const head = meshLevels.find(({ mesh }) => mesh === avatar.head)!;
    headLevels = head.levels;
    const triangles = [avatar.head, ...head.levels].map((mesh) => mesh.getTotalIndices() / 3);
    console.log(`    ${source}: head triangles per level ${triangles.join(' / ')}; ${meshLevels.length} meshes with levels`);
    // Babylon keeps screen-coverage levels sorted by coverage, smallest (coarsest) first.
    assert.deepEqual(avatar.head.getLODLevels().map((level) => [level.mesh, level.distanceOrScreenCoverage]), [[head.levels[1], 0.02], [head.levels[0], 0.1]]);
    assert.ok(Math.abs(triangles[1] / triangles[0] - 0.5) < 0.06 && Math.abs(triangles[2] / triangles[0] - 0.25) < 0.06, `${triangles}`);
    for (const level of head.levels) {
      assert.equal(level.morphTargetManager, avatar.morphTargetManager);
      assert.equal(level.skeleton, avatar.skeleton);
      assert.equal(level.material, avatar.material);
      assert.equal(level.getTotalVertices(), avatar.head.getTotalVertices());
    }
    // An expression set on the avatar is what every level shows.
    avatar.setExpression(avatar.expressionNames[0], 0.7);
    assert.equal(head.levels[1].morphTargetManager!.getTarget(0).influence, 0.7);
  });

  it('picks finer levels for a close camera and coarser ones far away', function () {
    const camera = new FreeCamera('camera', new Vector3(0, 0, -1), scene);
    scene.activeCamera = camera;
    avatar.head.computeWorldMatrix(true);
    avatar.head.refreshBoundingInfo(true, true);
    const centre = avatar.head.getBoundingInfo().boundingSphere.centerWorld;
    const levelAt = (distance: number): number => {
      camera.position.copyFrom(centre).addInPlace(new Vector3(0, 0, -distance));
      camera.setTarget(centre);
      camera.computeWorldMatrix();
      const chosen = avatar.head.getLOD(camera) as Mesh;
      return [avatar.head, ...headLevels].indexOf(chosen);
    };
    const distances = [0.4, 0.8, 1.6, 3.2, 6.4, 12.8];
    const levels = distances.map(levelAt);
    console.log(`    level by camera distance: ${distances.map((d, i) => `${d} m -> ${levels[i]}`).join(', ')}`);
    assert.equal(levels[0], 0);
    assert.equal(levels[levels.length - 1], 2);
    assert.ok(levels.includes(1), 'the 50 % level shows in between');
    for (let i = 1; i < levels.length; i++) assert.ok(levels[i] >= levels[i - 1], 'never finer further away');
    camera.dispose();
  });

  it('dispose() removes the levels with the avatar', function () {
    const lowerLevels = avatar.head.getLODLevels().map((level) => level.mesh!);
    avatar.dispose();
    assert.ok(lowerLevels.every((mesh) => mesh.isDisposed()));
    assert.equal(scene.meshes.length, 0, scene.meshes.map((m) => m.name).join(', '));
  });
});
