/**
 * `photo-avatar create --shape mesh.obj`: texture and light are fitted onto a given head mesh of
 * the pack's topology instead of a fitted identity. The given mesh here is the neutral head of an
 * ordinary fit of the same photo, written as OBJ (head then eyeballs, as writeObj writes); the
 * avatar must keep exactly that mesh and find the same rigid pose. Wrong vertex counts, other units
 * and .avatar output are refused with messages that say why. Needs ../shared/data.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import { createAvatarData, loadDefaultHead } from '../../src/pipeline.js';
import { writeObj } from '../../src/modelpack/obj.js';
import { shapeFromObj } from '../../src/modelpack/given-shape.js';
import { decodeImage } from '../../src/image/decode.js';
import { PhotoAvatarError } from '../../src/errors.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import type { AvatarData, PinholeCamera } from '../../src/types.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot, encoding: 'utf8', timeout: 240_000,
  });
  return { status: result.status, stderr: result.stderr };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Per-vertex distance (metres) between two meshes each placed in its camera's frame. */
function cameraSpaceDistances(a: Float32Array, cameraA: PinholeCamera, b: Float32Array, cameraB: PinholeCamera): Float64Array {
  const out = new Float64Array(a.length / 3);
  const pa = new Float64Array(3), pb = new Float64Array(3);
  for (let v = 0; v < out.length; v++) {
    for (let r = 0; r < 3; r++) {
      pa[r] = cameraA.translation[r]; pb[r] = cameraB.translation[r];
      for (let c = 0; c < 3; c++) {
        pa[r] += cameraA.rotation[r * 3 + c] * a[v * 3 + c];
        pb[r] += cameraB.rotation[r * 3 + c] * b[v * 3 + c];
      }
    }
    out[v] = Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]);
  }
  return out;
}

describe('cli: photo-avatar create --shape (given mesh)', function () {
  requireSharedData(this, 'photos', 'hrn', 'single', '00016.png');
  const photo = sharedPath('photos', 'hrn', 'single', '00016.png');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'photo-avatar-shape-'));
  const shapeObj = path.join(tmp, 'scan.obj');
  let model: HeadModel;
  let fitted: AvatarData;

  before(async function () {
    this.timeout(300_000);
    model = await loadDefaultHead();
    const { image } = decodeImage(new Uint8Array(readFileSync(photo)));
    fitted = await createAvatarData(image, { backend: 'wasm', textureSize: 256 });
    writeFileSync(shapeObj, writeObj({ ...model, positions: fitted.neutralVertices }));
  });

  it('keeps the given mesh and fits the same rigid pose (in process)', async function () {
    this.timeout(300_000);
    const shape = shapeFromObj(readFileSync(shapeObj), model, 'scan.obj');
    assert.ok(maxDifference(shape, fitted.neutralVertices) < 1e-6, 'OBJ round trip (6 decimals)');
    const { image } = decodeImage(new Uint8Array(readFileSync(photo)));
    const data = await createAvatarData(image, { backend: 'wasm', textureSize: 256, shape });
    const meshDeviation = maxDifference(data.neutralVertices, shape);
    const posed = cameraSpaceDistances(data.neutralVertices, data.camera, fitted.neutralVertices, fitted.camera);
    let faceMax = 0, faceSum = 0, faceCount = 0;
    for (let v = 0; v < posed.length; v++) {
      if (model.skinWeight[v] < 0.5) continue;
      faceMax = Math.max(faceMax, posed[v]); faceSum += posed[v]; faceCount++;
    }
    console.log(`      avatar mesh vs given shape: max deviation ${meshDeviation.toExponential(2)} m; identity coefficients ${data.identity.length}; ` +
      `expression weights all 0: ${data.expression.every((w) => w === 0)}`);
    console.log(`      given-shape pose yaw ${data.pose.yawDeg.toFixed(2)} pitch ${data.pose.pitchDeg.toFixed(2)} roll ${data.pose.rollDeg.toFixed(2)} vs ordinary fit ` +
      `${fitted.pose.yawDeg.toFixed(2)} ${fitted.pose.pitchDeg.toFixed(2)} ${fitted.pose.rollDeg.toFixed(2)}; face in camera space: mean ${(1000 * faceSum / faceCount).toFixed(2)} mm, ` +
      `max ${(1000 * faceMax).toFixed(2)} mm apart; landmark error ${(100 * data.metrics.landmarkErrorNormalized).toFixed(2)}% vs ${(100 * fitted.metrics.landmarkErrorNormalized).toFixed(2)}%; ` +
      `coverage ${data.metrics.coverage?.toFixed(3)} vs ${fitted.metrics.coverage?.toFixed(3)}`);
    assert.ok(meshDeviation < 1e-6);
    assert.equal(data.identity.length, 0);
    assert.ok(data.givenShape);
    assert.ok(data.expression.every((w) => w === 0), 'expression stays neutral unless asked for');
    assert.ok(Math.abs(data.pose.yawDeg - fitted.pose.yawDeg) < 2 && Math.abs(data.pose.pitchDeg - fitted.pose.pitchDeg) < 2 && Math.abs(data.pose.rollDeg - fitted.pose.rollDeg) < 2);
    assert.ok(faceSum / faceCount < 0.005, 'the face lands within 5 mm of where the ordinary fit put it');
    assert.ok(data.metrics.landmarkErrorNormalized < 0.05);
    assert.ok((data.metrics.coverage ?? 0) > 0.3, 'the albedo stage textured the given mesh');
  });

  it('writes a GLB whose head is the given mesh (CLI)', async function () {
    this.timeout(300_000);
    const glb = path.join(tmp, 'scan.glb');
    const report = path.join(tmp, 'scan.json');
    // Plain GLB: the given mesh comes back to float precision (the compact one quantizes to 15 µm).
    const run = cli('create', photo, '--shape', shapeObj, '-o', glb, '--report', report, '--texture-size', '256', '--compress', 'none', '-q');
    assert.equal(run.status, 0, run.stderr);
    const r = JSON.parse(readFileSync(report, 'utf8'));
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const container = await LoadAssetContainerAsync(new Uint8Array(readFileSync(glb)), scene, { pluginExtension: '.glb' });
      const head = container.meshes.find((m) => m.name === 'headMesh') as Mesh | undefined;
      assert.ok(head, 'head mesh present');
      const positions = head.getVerticesData('position')!;
      const deviation = maxDifference(positions, fitted.neutralVertices);
      console.log(`      GLB head ${positions.length / 3} vertices, max deviation from the given mesh ${deviation.toExponential(2)} m; ` +
        `report: givenShape ${r.givenShape}, landmark error ${(100 * r.metrics.landmarkErrorNormalized).toFixed(2)}%, identity ${r.coefficients.identity.length} coefficients`);
      assert.equal(positions.length, model.vertexCount * 3);
      assert.ok(deviation < 1e-5);
      assert.equal(r.givenShape, true);
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('refuses a mesh with another vertex count, other units and .avatar output, saying why', function () {
    this.timeout(120_000);
    const small = path.join(tmp, 'small.obj');
    writeFileSync(small, 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n');
    const wrongCount = cli('create', photo, '--shape', small, '-o', path.join(tmp, 'small.glb'));
    console.log(`      ${wrongCount.stderr.trim()}`);
    assert.equal(wrongCount.status, 2);
    assert.match(wrongCount.stderr, new RegExp(`small\\.obj has 3 vertices; model '${model.id}' needs .*${model.vertexCount}`));

    const avatarOut = cli('create', photo, '--shape', shapeObj, '-o', path.join(tmp, 'scan.avatar'));
    assert.equal(avatarOut.status, 2);
    assert.match(avatarOut.stderr, /--shape needs a \.glb output/);

    const millimetres = writeObj({ ...model, positions: fitted.neutralVertices.map((x) => x * 1000) });
    assert.throws(() => shapeFromObj(millimetres, model, 'scan-mm.obj'), (error: unknown) => {
      console.log(`      ${(error as Error).message}`);
      return error instanceof PhotoAvatarError && error.code === 'INVALID_ARGUMENT' && /scan-mm\.obj: .*metres/.test(error.message);
    });
  });
});
