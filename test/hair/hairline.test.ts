import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../../src/image/decode.js';
import { readPack } from '../../src/modelpack/format.js';
import { createAvatarData } from '../../src/pipeline.js';
import { hairMeshFor, type HairOption } from '../../src/hair/index.js';
import { hairlineRoughness } from '../../src/hair/measure.js';
import type { AvatarData } from '../../src/types.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';

const generated = path.join(projectRoot, 'assets', 'generated');
const packFile = path.join(generated, 'default-head.pack');
const hairFile = path.join(generated, 'makehuman-hair.bin');

describe('hair: the hairline across the forehead', function () {
  this.timeout(240_000);

  async function avatarOf(ctx: Mocha.Context, folder: string[], file: string, hair: HairOption = 'auto'): Promise<AvatarData> {
    requireSharedData(ctx, 'photos', ...folder, file);
    if (!existsSync(packFile) || !existsSync(hairFile)) {
      console.log('    skipped: run `npm run build` for assets/generated/default-head.pack and makehuman-hair.bin');
      ctx.skip();
    }
    const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', ...folder, file))));
    return createAvatarData(image, { model: readPack(new Uint8Array(readFileSync(packFile))), textureSize: 256, hair });
  }

  function measured(name: string, data: AvatarData): ReturnType<typeof hairlineRoughness> {
    const rough = hairlineRoughness(data);
    console.log(`    ${name} ${data.hair!.style}: hairline ${(1000 * rough.rms).toFixed(2)} mm RMS about its 8 mm average, ${rough.steps} steps over 1 mm, ${rough.columns} columns over ${(1000 * rough.width).toFixed(1)} mm`);
    // The forehead between the outer eye corners, about 9 cm, is measured nearly whole.
    assert.ok(rough.width > 0.08, `${name}: ${rough.width} m measured`);
    return rough;
  }

  // Before the alpha test read the strand texture bilinearly (as Babylon does) it read the nearest
  // texel: long01's hairline runs along its texture's v with u nearly fixed, stretched so that one
  // texel is 3-5 mm on the forehead, and the hairline was a staircase of such texels (7 and 10 steps
  // over 1 mm, 0.76 and 0.79 mm RMS); short02's ragged tips 31 steps, 0.90 mm; bob02's swept fringe
  // 7 steps, 0.96 mm (npx tsx bench/hairline.ts).
  it('runs smoothly, with no staircase of texels (hrn 00016 short02 and long01)', async function () {
    const data = await avatarOf(this, ['hrn', 'single'], '00016.png', 'short02');
    assert.equal(data.hair!.style, 'short02');
    const short = measured('hrn 00016', data);
    assert.ok(short.steps <= 15, `short02: ${short.steps} steps`);
    assert.ok(short.rms < 0.0008, `short02: ${short.rms} m RMS`);
    const hair = data.hair!;
    data.hair = { ...hair, style: 'long01', mesh: await hairMeshFor('long01', data.model, data.neutralVertices, hair) };
    const long = measured('hrn 00016', data);
    assert.ok(long.steps <= 3, `long01: ${long.steps} steps`);
    assert.ok(long.rms < 0.0005, `long01: ${long.rms} m RMS`);
  });

  it('runs smoothly under long01 and along bob02\'s swept fringe (deep3d 000006, hrn 00521)', async function () {
    const long = await avatarOf(this, ['deep3d'], '000006.jpg');
    assert.equal(long.hair!.style, 'long01');
    const longRough = measured('deep3d 000006', long);
    assert.ok(longRough.steps <= 3, `long01: ${longRough.steps} steps`);
    assert.ok(longRough.rms < 0.0005, `long01: ${longRough.rms} m RMS`);
    const bob = await avatarOf(this, ['hrn', 'single'], '00521.png');
    assert.equal(bob.hair!.style, 'bob02');
    const bobRough = measured('hrn 00521', bob);
    assert.ok(bobRough.steps <= 3, `bob02: ${bobRough.steps} steps`);
    assert.ok(bobRough.rms < 0.0009, `bob02: ${bobRough.rms} m RMS`);
  });
});
