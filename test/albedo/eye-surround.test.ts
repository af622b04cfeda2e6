/**
 * The skin round the eyes (src/albedo/eye-surround.ts): on a real photo, the upper lids that the
 * photo never shows must take the colour of the skin round the eye, where the coarse model alone
 * left a dark grey-olive band that a blink showed.
 */
import assert from 'node:assert/strict';
import { estimateAlbedo } from '../../src/albedo/albedo.js';
import { getEyeSurround, type EyeSurround } from '../../src/albedo/eye-surround.js';
import { getUvRaster, type UvRaster } from '../../src/albedo/unwrap.js';
import { readUvapm } from '../../src/albedo/uvapm-format.js';
import { linearToLab } from '../../src/hair/colour-space.js';
import { SRGB_TO_LINEAR } from '../../src/image/srgb.js';
import type { RgbaImage } from '../../src/types.js';
import { defaultHeadAvatar } from '../helpers/albedo-input.js';

/** Mean CIELAB colour of the texture's texels that `select` picks (by texel index and covered slot). */
function meanLab(albedo: RgbaImage, raster: UvRaster, select: (texel: number, slot: number) => boolean): Float64Array {
  const sum = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < raster.texel.length; i++) {
    const p = raster.texel[i];
    if (!select(p, i)) continue;
    for (let c = 0; c < 3; c++) sum[c] += SRGB_TO_LINEAR[albedo.data[4 * p + c]];
    count++;
  }
  assert.ok(count > 100, `only ${count} texels selected`);
  return linearToLab(sum[0] / count, sum[1] / count, sum[2] / count);
}

/** ΔE between the upper lids (what a blink uncovers) and the face skin just beyond the eye surround. */
function lidAgainstSkin(albedo: RgbaImage, raster: UvRaster, surround: EyeSurround): { deltaE: number; lid: Float64Array; skin: Float64Array } {
  const lid = meanLab(albedo, raster, (p) => surround.lid[p] > 0.5);
  const skin = meanLab(albedo, raster, (p, i) => raster.skin[i] > 0.5 && surround.ring[p] > 0 && surround.ring[p] < 0.2);
  return { deltaE: Math.hypot(lid[0] - skin[0], lid[1] - skin[1], lid[2] - skin[2]), lid, skin };
}

describe('albedo: the skin round the eyes', function () {
  this.timeout(120_000);

  it('hrn 00016\'s upper lids take the colour of the skin round his eyes; without the correction they are a darker band', async function () {
    const { data, albedoInput: input } = await defaultHeadAvatar(this, 'photos', 'hrn', 'single', '00016.png');
    const raster = getUvRaster(data.model, 512);
    const surround = getEyeSurround(data.model, raster);
    assert.ok(surround, 'the default head has eye landmarks and blink targets');
    const albedoModel = readUvapm(data.model.albedoModel!);
    const without = await estimateAlbedo(input, { size: 512, albedoModel, eyeSurround: false });
    // The surround's correction alone: the lash line (../../src/albedo/lash-line.ts) darkens the lids' margins after it.
    const surroundOnly = await estimateAlbedo(input, { size: 512, albedoModel, lashLine: false });
    const before = lidAgainstSkin(without.albedo, raster, surround), after = lidAgainstSkin(surroundOnly.albedo, raster, surround);
    const withLine = lidAgainstSkin(data.albedo, raster, surround);
    const lab = (v: Float64Array) => Array.from(v, (x) => x.toFixed(1)).join(', ');
    console.log(`      upper lids against the skin round the eyes, CIELAB ΔE: without ${before.deltaE.toFixed(1)} (lids ${lab(before.lid)}; skin ${lab(before.skin)}), with ${after.deltaE.toFixed(1)} (lids ${lab(after.lid)}; skin ${lab(after.skin)})`);
    // The lids stay a little darker than the cheeks and forehead beyond the eye surround, as real closed lids are.
    assert.ok(after.deltaE < 11, `lids ΔE ${after.deltaE.toFixed(1)} from the skin round the eyes`);
    assert.ok(after.deltaE < 0.75 * before.deltaE, `the correction brings the lids nearer the skin (${before.deltaE.toFixed(1)} -> ${after.deltaE.toFixed(1)})`);
    assert.ok(after.lid[0] > before.lid[0] + 3, `the lids are lighter (L* ${before.lid[0].toFixed(1)} -> ${after.lid[0].toFixed(1)})`);
    // The lash line keeps to the margins: what a blink uncovers darkens by little on the whole.
    console.log(`      with the lash line: ΔE ${withLine.deltaE.toFixed(1)}, lids L* ${withLine.lid[0].toFixed(1)}`);
    assert.ok(withLine.lid[0] > after.lid[0] - 4, `the lash line darkens the lids from L* ${after.lid[0].toFixed(1)} to ${withLine.lid[0].toFixed(1)}`);
  });
});
