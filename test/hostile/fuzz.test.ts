/**
 * Seeded in-process fuzz of the three parsers that take untrusted bytes: decodeImage (photos),
 * readPack (model packs) and readAvatarFile (.avatar). Every damaged input must end in a
 * PhotoAvatarError or a valid result: never a TypeError, RangeError or hang. 2,000+ cases each,
 * within a time budget that holds on a 2-core CI machine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PhotoAvatarError } from '../../src/errors.js';
import { defaultSamplePhoto } from '../../src/cli/files.js';
import { decodeImage } from '../../src/image/decode.js';
import { encodeJpeg, encodePng } from '../../src/image/encode.js';
import { downscaleArea } from '../../src/image/resize.js';
import { readPack, writePack } from '../../src/modelpack/format.js';
import { readAvatarFile, writeAvatarFile } from '../../src/avatar-file/format.js';
import { crc32 } from '../../src/math/crc32.js';
import { syntheticAlbedo } from '../export/synthetic-avatar.js';
import { richAvatarData, testModel } from '../avatar-file/fixtures.js';
import { fuzz, type FuzzFigures } from '../modelpack/fuzz.js';
import { syntheticModel } from '../modelpack/synthetic-model.js';
import { seededRandom } from '../helpers/random.js';

const CASES = 2000;
/** Whole-suite budget per parser on the 2-core development machine (measured well under it). */
const BUDGET_MS = 60_000;

function report(name: string, figures: FuzzFigures, ms: number): void {
  console.log(`    ${name}: ${figures.cases} cases (seeded), ${figures.rejected} rejected with a PhotoAvatarError, ${figures.accepted} still valid, ${(ms / 1000).toFixed(1)} s`);
  assert.ok(figures.cases >= CASES);
  assert.ok(ms < BUDGET_MS, `${name} fuzz took ${ms} ms, over the ${BUDGET_MS} ms budget`);
}

describe('hostile: seeded fuzz of the parsers', function () {
  this.timeout(4 * BUDGET_MS);

  it(`decodeImage: ${CASES} damaged JPEGs and ${CASES} damaged PNGs of a real photo`, () => {
    const photo = decodeImage(new Uint8Array(readFileSync(defaultSamplePhoto()))).image;
    const small = downscaleArea(photo, 96, Math.round((96 * photo.height) / photo.width));
    for (const [name, bytes] of [['JPEG', encodeJpeg(small, 85)], ['PNG', encodePng(small)]] as const) {
      const start = performance.now();
      // The pixel cap is lowered so that a flipped size byte cannot make one case decode 50 MP.
      const figures = fuzz(bytes, (damaged) => decodeImage(damaged, { maxPixels: 1_000_000 }), { cases: CASES, seed: 14, hotRange: 700 });
      report(`decodeImage ${name} (${bytes.length} B)`, figures, performance.now() - start);
      assert.ok(figures.rejected > CASES / 4, 'damage is noticed');
    }
  });

  it(`readPack: ${CASES} damaged packs`, () => {
    // A small synthetic pack: the default head's 20 MB would make each case cost a CRC pass over it.
    const bytes = writePack(syntheticModel({ vertexCount: 300, identityCount: 8, expressionCount: 6, seed: 3, parts: true }));
    const start = performance.now();
    const figures = fuzz(bytes, (damaged) => readPack(damaged), { cases: CASES, seed: 15, hotRange: 2048 });
    report(`readPack (${bytes.length} B)`, figures, performance.now() - start);
  });

  it(`readAvatarFile: ${CASES} damaged .avatar files, half with the checksum fixed up to reach the field checks`, async () => {
    const { model } = await testModel();
    const file = writeAvatarFile(richAvatarData(model, syntheticAlbedo(64)));
    const resolve = async () => model;
    const rand = seededRandom(16);
    const figures: FuzzFigures = { cases: 0, rejected: 0, accepted: 0 };
    const start = performance.now();
    for (let c = 0; c < CASES; c++) {
      let damaged: Uint8Array;
      if (c % 2 === 0) {
        damaged = c % 4 === 0 ? file.slice(0, Math.floor(rand() * file.length)) : file.slice();
        if (c % 4 !== 0) damaged[Math.floor(rand() * damaged.length)] ^= 1 << Math.floor(rand() * 8);
      } else {
        // Damage inside the header JSON (digits, quotes, brackets), then a valid CRC.
        damaged = file.slice();
        const headerLength = new DataView(file.buffer).getUint32(12, true);
        for (let f = 1 + Math.floor(rand() * 3); f > 0; f--) damaged[20 + Math.floor(rand() * headerLength)] ^= 1 << Math.floor(rand() * 8);
        new DataView(damaged.buffer).setUint32(damaged.length - 4, crc32(damaged, 0, damaged.length - 4), true);
      }
      figures.cases++;
      try {
        await readAvatarFile(damaged, resolve);
        figures.accepted++;
      } catch (error) {
        if (!(error instanceof PhotoAvatarError)) assert.fail(`case ${c} threw a non-PhotoAvatarError: ${(error as Error)?.stack ?? error}`);
        figures.rejected++;
      }
    }
    report(`readAvatarFile (${file.length} B, ${model.id})`, figures, performance.now() - start);
  });
});
