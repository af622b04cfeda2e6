import assert from 'node:assert/strict';
import type { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Camera } from '@babylonjs/core/Cameras/camera.js';
import { Matrix, Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { Avatar } from '../../src/plugin/avatar.js';
import { frameAvatar, PORTRAIT_FOV } from '../../src/plugin/frame-avatar.js';
import { useNullEngineAvatar } from '../helpers/null-engine-avatar.js';

describe('plugin/frameAvatar (NullEngine)', function () {
  this.timeout(60_000);
  let engine: NullEngine;
  let scene: Scene;
  let avatar: Avatar;
  let source = '';
  useNullEngineAvatar((live) => ({ engine, scene, avatar, source } = live));

  /** The head's bounding box corners on screen (pixels), as the camera now sees them. */
  function screenBox(camera: ArcRotateCamera): { minX: number; maxX: number; minY: number; maxY: number } {
    const { min, max } = avatar.head.getHierarchyBoundingVectors(true);
    const viewport = camera.viewport.toGlobal(engine.getRenderWidth(), engine.getRenderHeight());
    const transform = camera.getViewMatrix(true).multiply(camera.getProjectionMatrix(true));
    const box = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
    for (const x of [min.x, max.x]) for (const y of [min.y, max.y]) for (const z of [min.z, max.z]) {
      const p = Vector3.Project(new Vector3(x, y, z), Matrix.IdentityReadOnly, transform, viewport);
      box.minX = Math.min(box.minX, p.x); box.maxX = Math.max(box.maxX, p.x);
      box.minY = Math.min(box.minY, p.y); box.maxY = Math.max(box.maxY, p.y);
    }
    return box;
  }

  it('looks at the face from the front through a portrait lens, the whole head in view', function () {
    const camera = new ArcRotateCamera('camera', 0, 0, 1, Vector3.Zero(), scene);
    scene.activeCamera = camera;
    const distance = frameAvatar(camera, avatar, { fov: PORTRAIT_FOV });
    assert.equal(camera.fov, PORTRAIT_FOV);
    // The camera stands on the face's side: along model +Z, which model space turns to world -Z in a left-handed scene.
    const face = Vector3.TransformNormal(new Vector3(0, 0, 1), avatar.modelSpace.computeWorldMatrix(true)).normalize();
    const toCamera = camera.position.subtract(camera.target).normalize();
    const box = screenBox(camera);
    const height = engine.getRenderHeight(), width = engine.getRenderWidth();
    console.log(`    ${source}: camera ${distance.toFixed(2)} m from the head's centre; head box ${((box.maxY - box.minY) / height * 100).toFixed(0)} % of the view's height, x ${box.minX.toFixed(0)}-${box.maxX.toFixed(0)} of ${width}`);
    assert.ok(Vector3.Dot(face, toCamera) > 0.999);
    assert.ok(distance > 1 && distance < 2.5, `${distance} m`);
    assert.ok(box.minX > 0 && box.maxX < width && box.minY > 0 && box.maxY < height, JSON.stringify(box));
    assert.ok((box.maxY - box.minY) / height > 0.6, 'the head fills most of the view');
  });

  it("keeps the camera's own lens when no fov is given", function () {
    const camera = new ArcRotateCamera('wide', 0, 0, 1, Vector3.Zero(), scene);
    scene.activeCamera = camera;
    const distance = frameAvatar(camera, avatar);
    assert.equal(camera.fov, 0.8);
    const box = screenBox(camera);
    assert.ok(distance < 0.6, `${distance} m`);
    assert.ok(box.minY > 0 && box.maxY < engine.getRenderHeight(), JSON.stringify(box));
  });

  it('fits the head into a camera whose field of view is horizontal', function () {
    const camera = new ArcRotateCamera('horizontal', 0, 0, 1, Vector3.Zero(), scene);
    camera.fovMode = Camera.FOVMODE_HORIZONTAL_FIXED;
    scene.activeCamera = camera;
    frameAvatar(camera, avatar, { fov: PORTRAIT_FOV });
    const box = screenBox(camera), height = engine.getRenderHeight();
    assert.ok(box.minY > 0 && box.maxY < height, JSON.stringify(box));
    assert.ok((box.maxY - box.minY) / height > 0.6, 'the head fills most of the view');
  });
});
