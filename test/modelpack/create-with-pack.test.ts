/**
 * End to end with imported packs: `photo-avatar import` (HiFi3D++ fixture, ICT-FaceKit) followed by
 * `photo-avatar create --model <pack>`, both through the CLI commands in-process (so the face models
 * load once). Neither pack has MediaPipe-468 correspondences, so the fit runs on the 68 points.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCreateCommand } from '../../src/cli/create-command.js';
import { runImportCommand } from '../../src/cli/import-command.js';
import { readPack } from '../../src/modelpack/format.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';

const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'];

interface GlbMesh { name: string; vertexCount: number; targetNames: string[]; targetCount: number }

/** Mesh names, vertex counts and morph-target names from a GLB's JSON chunk. */
function glbMeshes(bytes: Uint8Array): GlbMesh[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(12, true);
  const gltf = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength)));
  return gltf.meshes.map((mesh: any) => {
    const primitive = mesh.primitives[0];
    return {
      name: mesh.name,
      vertexCount: gltf.accessors[primitive.attributes.POSITION].count,
      targetNames: mesh.extras?.targetNames ?? [],
      targetCount: primitive.targets?.length ?? 0,
    };
  });
}

interface Report { metrics: { landmarkError: number; landmarkErrorNormalized: number; coverage: number }; pose: { yawDeg: number } }

/** The CLI commands in-process (src/cli/main.ts runs itself on import, so the commands are called directly). */
async function runCli(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const code = command === 'import' ? await runImportCommand(rest) : await runCreateCommand(rest);
  assert.equal(code, 0, `photo-avatar ${argv.join(' ')} exited with ${code}`);
}

async function createWithPack(folder: string, pack: string, stem: string): Promise<{ glb: Uint8Array; report: Report }> {
  const glb = path.join(folder, `${stem}.glb`);
  const report = path.join(folder, `${stem}.json`);
  await runCli(['create', sharedPath(...PHOTO), '--model', pack, '-o', glb, '--report', report, '--texture-size', '256', '--force', '--quiet']);
  return { glb: new Uint8Array(readFileSync(glb)), report: JSON.parse(readFileSync(report, 'utf8')) as Report };
}

function distinct(values: Uint32Array): number {
  return new Set(values).size;
}

describe('photo-avatar create --model <imported pack>', function () {
  let folder: string;
  before(function () {
    requireSharedData(this, ...PHOTO);
    folder = mkdtempSync(path.join(os.tmpdir(), 'pavpack-create-'));
  });
  after(() => { if (folder) rmSync(folder, { recursive: true, force: true }); });

  it('HiFi3D++ fixture: 20,481 head vertices before seam splitting (20,792 after), 6 expression targets', async function () {
    requireSharedData(this, 'hifi3d', 'hifi3dpp_model_info.fixture32z.mat');
    const pack = path.join(folder, 'hifi3dpp.pavpack');
    await runCli(['import', 'hifi3dpp', sharedPath('hifi3d', 'hifi3dpp_model_info.fixture32z.mat'), '-o', pack, '--force']);
    const model = readPack(new Uint8Array(readFileSync(pack)));
    assert.equal(model.landmarks468, undefined, 'the fixture pack has no 468-point correspondence: the fit must use the 68 points');
    const { glb, report } = await createWithPack(folder, pack, 'hifi3dpp');
    const head = glbMeshes(glb).find((m) => m.name === 'head')!;
    console.log(`      HiFi3D++: ${distinct(model.weldGroup)} welded / ${head.vertexCount} GLB head vertices, ${head.targetCount} targets, ` +
      `landmark error ${report.metrics.landmarkError.toFixed(2)} px (${(100 * report.metrics.landmarkErrorNormalized).toFixed(1)}% of eye-corner distance), ` +
      `texture coverage ${(100 * report.metrics.coverage).toFixed(0)}%, yaw ${report.pose.yawDeg.toFixed(1)}°`);
    assert.equal(distinct(model.weldGroup), 20481);
    assert.equal(head.vertexCount, 20792);
    assert.equal(head.targetCount, 6);
    assert.deepEqual(head.targetNames, ['exp00', 'exp01', 'exp02', 'exp03', 'exp04', 'exp05']);
    // The fixture's basis is tiny and synthetic, so only a loose bound: the mean shape must still land on the face.
    assert.ok(report.metrics.landmarkErrorNormalized < 0.1, `landmark error ${report.metrics.landmarkErrorNormalized}`);
    assert.ok(report.metrics.coverage > 0.2, `texture coverage ${report.metrics.coverage}`);
  });

  it('ICT-FaceKit: a rigged head with 53 ARKit morph targets and a close fit', async function () {
    requireSharedData(this, 'ict', 'FaceXModel');
    const pack = path.join(folder, 'ict.pavpack');
    await runCli(['import', 'ict', sharedPath('ict', 'FaceXModel'), '-o', pack, '--force']);
    const { glb, report } = await createWithPack(folder, pack, 'ict');
    const meshes = glbMeshes(glb);
    const head = meshes.find((m) => m.name === 'head')!;
    console.log(`      ICT: ${head.vertexCount} head vertices, ${head.targetCount} targets, meshes ${meshes.map((m) => m.name).join(', ')}, ` +
      `landmark error ${report.metrics.landmarkError.toFixed(2)} px (${(100 * report.metrics.landmarkErrorNormalized).toFixed(1)}% of eye-corner distance), ` +
      `texture coverage ${(100 * report.metrics.coverage).toFixed(0)}%, yaw ${report.pose.yawDeg.toFixed(1)}°`);
    assert.equal(head.targetCount, 53);
    for (const name of ['jawOpen', 'mouthSmile_L', 'eyeBlink_R', 'browInnerUp_L']) assert.ok(head.targetNames.includes(name), `missing ${name}`);
    assert.ok(meshes.some((m) => m.name === 'eyeLeft') && meshes.some((m) => m.name === 'teeth'));
    assert.ok(report.metrics.landmarkErrorNormalized < 0.06, `landmark error ${report.metrics.landmarkErrorNormalized}`);
    assert.ok(report.metrics.coverage > 0.1, `texture coverage ${report.metrics.coverage}`);
  });
});
