import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PhotoAvatarError } from '../../src/errors.js';
import { assertModelsEqual } from './assert-model.js';
import { openPackFromUrl, readPack, readPackHeader, readPackSteps, writePack, PACK_PREAMBLE_BYTES } from '../../src/modelpack/format.js';
import { runStepsInSlices } from '../../src/steps.js';
import { crc32 } from '../../src/math/crc32.js';
import { fuzz } from './fuzz.js';
import { syntheticModel } from './synthetic-model.js';

function expectCode(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof PhotoAvatarError && error.code === code && pattern.test(error.message));
}

/** Rewrites the header JSON (keeping its padded length) to test semantic validation. */
function withHeader(bytes: Uint8Array, edit: (header: any) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PACK_PREAMBLE_BYTES, PACK_PREAMBLE_BYTES + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  assert.ok(json.length <= length);
  const out = bytes.slice();
  out.fill(0x20, PACK_PREAMBLE_BYTES, PACK_PREAMBLE_BYTES + length);
  out.set(json, PACK_PREAMBLE_BYTES);
  return out;
}

describe('modelpack format', () => {
  const model = syntheticModel();

  it('round-trips every field bit-exact in fp32', () => {
    const bytes = writePack(model);
    assertModelsEqual(readPack(bytes), model);
    const header = readPackHeader(bytes);
    assert.equal(header.counts.vertexCount, model.vertexCount);
    for (const s of header.sections) assert.equal(s.offset % 16, 0, `${s.name} aligned`);
    // Unaligned input buffers are copied, not misread.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    assertModelsEqual(readPack(shifted.subarray(1)), model);
    console.log(`    synthetic pack: ${model.vertexCount} vertices, ${bytes.length} bytes, ${header.sections.length} sections`);
  });

  it('with ownBuffers keeps no view into the file bytes, so they can be freed', () => {
    const bytes = writePack(model);
    const viewed = readPack(bytes);
    const owned = readPack(bytes, { ownBuffers: true });
    assertModelsEqual(owned, model);
    const arrays = (m: object) => Object.values(m).filter((v): v is Uint8Array => ArrayBuffer.isView(v));
    assert.ok(arrays(viewed).some((a) => a.buffer === bytes.buffer), 'fp32 sections are views by default');
    assert.equal(arrays(owned).filter((a) => a.buffer === bytes.buffer).length, 0);
  });

  it('decodes in slices (readPackSteps) to the same model as readPack, one step per section, and rejects the same corruption', async () => {
    const bytes = writePack(model, { precision: 'fp16' });
    const labels: string[] = [];
    const { result, report } = await runStepsInSlices(readPackSteps(bytes, { ownBuffers: true }), { budgetMs: 0, onStep: (label) => labels.push(label) });
    assertModelsEqual(result, readPack(bytes, { ownBuffers: true }));
    const needed = readPackHeader(bytes).sections.map((s) => s.name);
    assert.deepEqual(labels, needed, 'one step per section, in file order');
    assert.ok(report.slices > 1, `ran in ${report.slices} slices`);
    const flipped = bytes.slice();
    const identity = readPackHeader(bytes).sections.find((s) => s.name === 'identityBasis')!;
    flipped[identity.offset + 5] ^= 0x40;
    await assert.rejects(runStepsInSlices(readPackSteps(flipped)), /identityBasis.*CRC-32/);
    assert.throws(() => readPack(flipped), /identityBasis.*CRC-32/);
  });

  it('stores bases in fp16 and truncates identity modes', () => {
    const bytes = writePack(model, { precision: 'fp16', identityModes: 3 });
    const back = readPack(bytes);
    assert.equal(back.identityCount, 3);
    assert.equal(back.identityStd.length, 3);
    assert.equal(readPackHeader(bytes).sourceIdentityCount, model.identityCount);
    let worst = 0;
    for (let i = 0; i < back.identityBasis.length; i++) {
      const ref = model.identityBasis[i];
      worst = Math.max(worst, Math.abs(back.identityBasis[i] - ref) / Math.max(Math.abs(ref), 2 ** -14));
    }
    console.log(`    fp16 basis: worst relative error ${worst.toExponential(2)}, size ${bytes.length} vs fp32 ${writePack(model).length}`);
    assert.ok(worst <= 2 ** -11 + 1e-9);
    assert.ok(back.positions.every((v, i) => v === model.positions[i]), 'positions stay fp32');
  });

  it('rejects inconsistent headers with the section named', () => {
    const bytes = writePack(model);
    expectCode(() => readPack(bytes.slice(0, 10)), 'CORRUPT_MODEL_PACK', /too short/);
    const badMagic = bytes.slice(); badMagic[0] = 0x51;
    expectCode(() => readPack(badMagic), 'UNSUPPORTED_MODEL_PACK', /magic/);
    const badVersion = bytes.slice(); badVersion[8] = 9;
    expectCode(() => readPack(badVersion), 'UNSUPPORTED_MODEL_PACK', /version 9/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.counts.vertexCount += 1; })), 'CORRUPT_MODEL_PACK', /positions/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.sections[2].shape = [1, 3]; })), 'CORRUPT_MODEL_PACK', /indices/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.sections[0].offset += 1 << 20; })), 'CORRUPT_MODEL_PACK', /"positions".*outside/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.sections[1].crc32 = (h.sections[1].crc32 ^ 1) >>> 0; })), 'CORRUPT_MODEL_PACK', /"uvs" CRC/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.expressionNames.pop(); })), 'CORRUPT_MODEL_PACK', /expressionNames/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.formatVersion = 2; })), 'UNSUPPORTED_MODEL_PACK', /version 2/);
    // An out-of-range index with a matching CRC is still caught, as is a NaN position.
    const landmarks = readPackHeader(bytes).sections.find((x) => x.name === 'landmarks68')!;
    const badIndex = bytes.slice();
    badIndex[landmarks.offset + 4] = 0xff; badIndex[landmarks.offset + 5] = 0xff;
    const fixCrc = (b: Uint8Array, name: string) => withHeader(b, (h) => {
      const entry = h.sections.find((x: { name: string }) => x.name === name);
      entry.crc32 = crc32(b, entry.offset, entry.offset + entry.byteLength);
    });
    expectCode(() => readPack(fixCrc(badIndex, 'landmarks68')), 'CORRUPT_MODEL_PACK', /"landmarks68" entry 2 is 65535/);
    const positions = readPackHeader(bytes).sections[0];
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(positions.offset + 8, NaN, true);
    expectCode(() => readPack(fixCrc(nan, 'positions')), 'CORRUPT_MODEL_PACK', /"positions" entry 2 is not a finite/);
  });

  it('stores optional part morphs (a part moving with an expression) and rejects bad ones', () => {
    const part = model.parts[0];
    const displacements = Float32Array.from({ length: part.positions.length }, (_, i) => (i % 3 === 1 ? -0.001 * (i % 7) : 0));
    const withMorph = { ...model, parts: [{ ...part, morphs: { names: [model.expressionNames[0]], displacements } }, ...model.parts.slice(1)] };
    const bytes = writePack(withMorph);
    const back = readPack(bytes);
    assert.deepEqual(back.parts[0].morphs?.names, [model.expressionNames[0]]);
    assert.deepEqual(Array.from(back.parts[0].morphs!.displacements), Array.from(displacements));
    assert.equal(back.parts[1]?.morphs, undefined);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.parts[0].morphs = [7]; })), 'CORRUPT_MODEL_PACK', /parts\[0\]\.morphs\[0\] is not a string/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.parts[0].morphs.push('extra'); })), 'CORRUPT_MODEL_PACK', /parts\.0\.morphs/);
    assert.throws(() => writePack({ ...withMorph, parts: [{ ...withMorph.parts[0], morphs: { names: ['a', 'b'], displacements } }] }), /morphs/);
  });

  it('stores optional jaw march lines and rejects bad ones', () => {
    // Line i: landmark vertex then two more; the chin line (8) has only its landmark.
    const lines: number[][] = Array.from({ length: 17 }, (_, i) => (i === 8 ? [i] : [i, i + 20, i + 40]));
    const offsets = new Uint32Array(18);
    lines.forEach((line, i) => { offsets[i + 1] = offsets[i] + line.length; });
    const withLines = { ...model, jawMarchLines: { offsets, vertices: Uint32Array.from(lines.flat()) } };
    for (const precision of ['fp32', 'fp16'] as const) {
      const back = readPack(writePack(withLines, { precision }));
      assert.deepEqual(Array.from(back.jawMarchLines!.offsets), Array.from(offsets));
      assert.deepEqual(Array.from(back.jawMarchLines!.vertices), lines.flat());
    }
    assertModelsEqual(readPack(writePack(withLines)), withLines);
    assert.equal(readPack(writePack(model)).jawMarchLines, undefined, 'packs without lines stay without');
    const badOffsets = Uint32Array.from(offsets); badOffsets[5] = badOffsets[4] - 1;
    expectCode(() => writePack({ ...withLines, jawMarchLines: { offsets: badOffsets, vertices: withLines.jawMarchLines.vertices } }),
      'INVALID_ARGUMENT', /jawMarchLines: offsets decrease/);
    const badVertex = Uint32Array.from(lines.flat()); badVertex[3] = model.vertexCount;
    expectCode(() => writePack({ ...withLines, jawMarchLines: { offsets, vertices: badVertex } }), 'INVALID_ARGUMENT', /jawMarchLines.vertices/);
    const bytes = writePack(withLines);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.jawMarchLines.vertexCount += 1; })), 'CORRUPT_MODEL_PACK', /jawMarchLines.vertices/);
    expectCode(() => readPack(withHeader(bytes, (h) => { h.jawMarchLines = 3; })), 'CORRUPT_MODEL_PACK', /jawMarchLines/);
    // Offsets that pass the CRC but do not add up are caught when the model is assembled.
    const section = readPackHeader(bytes).sections.find((x) => x.name === 'jawMarchLines.offsets')!;
    const corrupted = bytes.slice();
    new DataView(corrupted.buffer).setUint32(section.offset + 4 * 17, 7, true);
    const fixed = withHeader(corrupted, (h) => {
      const entry = h.sections.find((x: { name: string }) => x.name === 'jawMarchLines.offsets');
      entry.crc32 = crc32(corrupted, entry.offset, entry.offset + entry.byteLength);
    });
    expectCode(() => readPack(fixed), 'CORRUPT_MODEL_PACK', /"jawMarchLines.offsets": offsets/);
  });

  it('never crashes on truncated or bit-flipped packs (fuzz)', () => {
    const bytes = writePack(syntheticModel({ vertexCount: 60, identityCount: 2, expressionCount: 2 }));
    const figures = fuzz(bytes, readPack, { cases: 400, seed: 7, hotRange: 2048 });
    console.log(`    pack fuzz: ${figures.cases} cases, ${figures.rejected} rejected, ${figures.accepted} accepted`);
    assert.ok(figures.rejected > figures.cases * 0.9);
  });

  describe('openPackFromUrl over HTTP Range', () => {
    let server: http.Server;
    let base = '';
    const requests: string[] = [];
    const bigModel = syntheticModel({ vertexCount: 2000, identityCount: 10, expressionCount: 4, seed: 3 });
    const packBytes = writePack(bigModel);

    before(async () => {
      server = http.createServer((req, res) => {
        const range = req.headers.range;
        requests.push(`${req.url} ${range ?? 'full'}`);
        if (req.url === '/missing.pavpack') { res.statusCode = 404; res.end(); return; }
        const body = req.url === '/norange.pavpack' ? undefined : packBytes;
        if (!body) { res.setHeader('content-length', packBytes.length); res.end(Buffer.from(packBytes)); return; }
        const match = range && /^bytes=(\d+)-(\d+)$/.exec(range);
        if (!match) { res.end(Buffer.from(body)); return; }
        const start = Number(match[1]);
        const end = Math.min(Number(match[2]), body.length - 1);
        if (start >= body.length) { res.statusCode = 416; res.setHeader('content-range', `bytes */${body.length}`); res.end(); return; }
        res.statusCode = 206;
        res.setHeader('content-range', `bytes ${start}-${end}/${body.length}`);
        res.end(Buffer.from(body.subarray(start, end + 1)));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('fetches the header and single sections with ranges, then the model', async () => {
      requests.length = 0;
      const pack = await openPackFromUrl(`${base}/head.pavpack`, { initialBytes: 256 });
      assert.equal(pack.fileLength, packBytes.length);
      assert.equal(pack.header.counts.vertexCount, 2000);
      const positions = await pack.section('positions');
      assert.deepEqual(Array.from(positions.subarray(0, 6)), Array.from(bigModel.positions.subarray(0, 6)));
      const model = await pack.loadModel();
      assertModelsEqual(model, bigModel);
      console.log(`    range requests: ${requests.join(' | ')}`);
      assert.ok(requests.every((r) => r.includes('bytes=')));
      assert.ok(requests.length <= 4, 'header, re-fetched header, one section, one span');
    });

    it('works when the server ignores Range, and reports HTTP errors', async () => {
      const pack = await openPackFromUrl(`${base}/norange.pavpack`);
      assertModelsEqual(await pack.loadModel(), bigModel);
      await assert.rejects(openPackFromUrl(`${base}/missing.pavpack`), (e: unknown) => e instanceof PhotoAvatarError && /404/.test(e.message));
    });
  });
});
