import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../../src/image/decode.js';
import { readPack } from '../../src/modelpack/format.js';
import { createAvatarData } from '../../src/pipeline.js';
import { hairMeshFor, type HairOption } from '../../src/hair/index.js';
import { hairlineAgainstPhoto, hairlineRoughness } from '../../src/hair/measure.js';
import { turnHairline } from '../../src/hair/fit-hair.js';
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

describe('hair: the hairline\'s height, fitted to the photo', function () {
  this.timeout(240_000);

  it('meets the photo\'s hairline, where the styles as drawn came down the brow like a helmet (deep3d 000007 short04, 000033 short01, 3ddfa JianzhuGuo short02)', async function () {
    for (const [folder, file] of [['deep3d', '000007.jpg'], ['deep3d', '000033.jpg'], ['3ddfa_v2', 'JianzhuGuo.jpg']] as const) {
      requireSharedData(this, 'photos', folder, file);
      if (!existsSync(packFile) || !existsSync(hairFile)) this.skip();
      const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', folder, file))));
      const data = await createAvatarData(image, { model: readPack(new Uint8Array(readFileSync(packFile))), textureSize: 256 });
      const hair = data.hair!;
      const fitted = hairlineAgainstPhoto(data)!;
      const asDrawn = hairlineAgainstPhoto({ ...data, hair: { ...hair, mesh: await hairMeshFor(hair.style!, data.model, data.neutralVertices, hair, { volume: hair.volume }) } })!;
      const percent = (v: number) => (100 * v).toFixed(1);
      console.log(`    ${file} ${hair.style}: turn ${hair.hairlineTurn?.toFixed(3)} rad; the avatar's hairline below the photo's, quartiles over ${fitted.columns} columns: ${[fitted.lowerQuartile, fitted.median, fitted.upperQuartile].map(percent).join(' / ')} % of the brow-to-chin height (as drawn ${[asDrawn.lowerQuartile, asDrawn.median, asDrawn.upperQuartile].map(percent).join(' / ')} %)`);
      // As drawn, every style's hairline lay 8-14 % of the brow-to-chin height (1-1.6 cm) under the photo's.
      assert.ok(asDrawn.median > 0.06, `${file}: as drawn ${asDrawn.median}`);
      assert.ok((hair.hairlineTurn ?? 0) > 0.05, `${file}: turn ${hair.hairlineTurn}`);
      // Met at the lower quartile (a side fringe stays covered), just under the photo's: by the margin
      // the hair left the skin masks with (2 % of the face's height, about 3 % of the brow-to-chin
      // height), within the fit's grid cell or so.
      assert.ok(fitted.lowerQuartile > -0.01 && fitted.lowerQuartile < 0.06, `${file}: lower quartile ${fitted.lowerQuartile}`);
      assert.ok(fitted.median < asDrawn.median - 0.03, `${file}: median ${fitted.median} against ${asDrawn.median} as drawn`);
    }
  });

  it('turns the front of the style only: the crown, the back, the hair over the ears and the sideburns stay', function () {
    const centre = [0, 0.05, -0.02];
    // Over the forehead, on the crown, at the back, above an ear, at a sideburn, over the brow.
    const points = Float32Array.of(0, 0.11, 0.06, 0, 0.15, -0.02, 0, 0.08, -0.11, 0.08, 0.07, -0.02, 0.07, 0.0, 0.0, 0.02, 0.06, 0.075);
    const turned = Float32Array.from(points);
    turnHairline(turned, centre, 0.2);
    const moved = (k: number) => Math.hypot(turned[3 * k] - points[3 * k], turned[3 * k + 1] - points[3 * k + 1], turned[3 * k + 2] - points[3 * k + 2]);
    const radius = (k: number, p: Float32Array) => Math.hypot(p[3 * k + 1] - centre[1], p[3 * k + 2] - centre[2]);
    // The forehead's point goes up and back along its circle about the centre: 0.2 rad of about 10 cm.
    assert.ok(turned[1] > points[1] + 0.01 && turned[2] < points[2], `forehead ${turned.subarray(0, 3)}`);
    assert.ok(Math.abs(radius(0, turned) - radius(0, points)) < 1e-6);
    assert.ok(Math.abs(moved(0) - 0.2 * radius(0, points)) < 0.002, `forehead moved ${moved(0)}`);
    assert.ok(moved(5) > 0.015, `brow moved ${moved(5)}`);
    for (const [k, name] of [[1, 'crown'], [2, 'back'], [3, 'above the ear'], [4, 'sideburn']] as const) assert.ok(moved(k) < 1e-6, `${name} moved ${moved(k)}`);
  });
});
