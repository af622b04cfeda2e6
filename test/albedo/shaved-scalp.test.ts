/**
 * A shaved head's scalp takes the stubble's tone (stubbleOverSkin, src/albedo/scalp-tint.ts): the
 * pure ratio, and hrn 00034's buzz cut, whose crown fill comes out darker than his face skin as the
 * stubble in the photo is (bare skin's fill was within 2 L* of it), with the stubble's grain in the
 * textures made from the albedo, also after a round trip through a `.avatar` that stays small.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../src/image/decode.js';
import { createAvatarDataWithAlbedoInput } from '../../src/pipeline.js';
import { stubbleOverSkin, type HairSegmentation } from '../../src/hair/photo-hair.js';
import { linearToLab } from '../../src/hair/colour-space.js';
import { scalpTone } from '../../src/metrics/scalp-tone.js';
import { albedoWithStubble } from '../../src/albedo/scalp-tint.js';
import { readAvatarFile, writeAvatarFile } from '../../src/avatar-file/format.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';

describe('stubble over skin (pure)', () => {
  const skin = [0.3, 0.15, 0.08], hair = [0.06, 0.04, 0.03];
  const segmentation = (shaved: boolean, crownCoverage: number) => ({
    shaved, crownCoverage, skinLab: Array.from(linearToLab(skin[0], skin[1], skin[2])), hairLab: Array.from(linearToLab(hair[0], hair[1], hair[2])),
  }) as unknown as HairSegmentation;
  it('is undefined unless the hair read as shaved', () => {
    assert.equal(stubbleOverSkin(segmentation(false, 0.4)), undefined);
  });
  it('is the hair\'s colour over the skin\'s, whatever share of the crown band the hair covers', () => {
    for (const coverage of [0.4, 0.9]) {
      const gain = stubbleOverSkin(segmentation(true, coverage))!;
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(gain[c] - hair[c] / skin[c]) < 1e-3, `coverage ${coverage}, channel ${c}: ${gain[c]}`);
    }
  });
});

describe('shaved scalp on hrn 00034 (buzz cut, dark stubble over brown skin)', function () {
  requireSharedData(this, 'photos', 'hrn', 'single', '00034.png');
  it('reads shaved, and the crown the photo did not show is darker than the face skin it showed, as his stubble is', async () => {
    const image = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'hrn', 'single', '00034.png')))).image;
    const { data, albedoInput } = await createAvatarDataWithAlbedoInput(image, { backend: 'wasm', textureSize: 256 });
    assert.equal(data.hair?.detected?.shaved, true);
    assert.equal(data.hair?.style, null);
    const tone = scalpTone(data, albedoInput);
    const drop = tone.faceLab[0] - tone.crownLab[0];
    console.log(`      face L*a*b* ${tone.faceLab.map((v) => v.toFixed(1)).join(' ')}, crown ${tone.crownLab.map((v) => v.toFixed(1)).join(' ')}: ${drop.toFixed(1)} L* darker`);
    // In the photo his crown's top (rows 10-70) is 0.23 of his forehead's linear luminance (L* 19.8
    // against 41.7): at his face's albedo (L* 56.9) that ratio is 28 L* darker. Mixed by the crown
    // band's hair share, as before, the crown came out 8.8 L* darker.
    assert.ok(drop > 20 && drop < 40, `crown ${drop.toFixed(1)} L* below the face`);
    // Stubble is brown over brown skin, not grey: the crown keeps a skin-like hue.
    assert.ok(tone.crownLab[1] > 5 && tone.crownLab[2] > tone.crownLab[1], `crown a* ${tone.crownLab[1].toFixed(1)} b* ${tone.crownLab[2].toFixed(1)}`);
    // A grain of short hairs, not one flat tone (a painted skullcap), in the textures: two texels'
    // independent ±STUBBLE_GRAIN differ by a third of the tone on average where the tint is full.
    // The albedo itself stays smooth (the metrics read it, and a .avatar's JPEG stores it).
    assert.equal(data.hair?.stubble, true);
    const grain = scalpTone({ ...data, albedo: albedoWithStubble(data) }, albedoInput);
    console.log(`      crown grain: neighbouring texels differ by ${grain.crownGrain.toFixed(3)} of their luminance in the texture, ${tone.crownGrain.toFixed(3)} in the albedo`);
    assert.ok(grain.crownGrain > 0.15 && grain.crownGrain < 0.5, `crown grain ${grain.crownGrain}`);
    assert.ok(tone.crownGrain < 0.05, `albedo crown grain ${tone.crownGrain}`);
    assert.ok(Math.abs(grain.crownLab[0] - tone.crownLab[0]) < 1.5, `the grain moved the crown's tone: L* ${tone.crownLab[0]} -> ${grain.crownLab[0]}`);
    // A .avatar keeps the flag, not the noise: the loaded avatar's texture has the same grain.
    const file = writeAvatarFile(data);
    const loaded = await readAvatarFile(file, async () => data.model);
    const reloaded = scalpTone({ ...loaded, albedo: albedoWithStubble(loaded) }, albedoInput);
    console.log(`      .avatar ${(file.length / 1024).toFixed(1)} KB; reloaded crown grain ${reloaded.crownGrain.toFixed(3)}`);
    assert.equal(loaded.hair?.stubble, true);
    assert.ok(Math.abs(reloaded.crownGrain - grain.crownGrain) < 0.05, `reloaded grain ${reloaded.crownGrain} against ${grain.crownGrain}`);
  });
});
