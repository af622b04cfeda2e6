/**
 * The photo's brows in the albedo (src/albedo/photo-brows.ts): on a real photo with dark brows,
 * the default head's albedo under the brow cards must hold them (dark against the skin beside
 * them) where the coarse model alone left a pale smudge; where the photo is lighter than the
 * model, the model stands.
 */
import assert from 'node:assert/strict';
import { estimateAlbedo } from '../../src/albedo/albedo.js';
import { photoBrowWeight } from '../../src/albedo/photo-brows.js';
import { readUvapm } from '../../src/albedo/uvapm-format.js';
import { SRGB_TO_LINEAR } from '../../src/image/srgb.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import type { RgbaImage } from '../../src/types.js';
import { defaultHeadAvatar } from '../helpers/albedo-input.js';

/**
 * Luminance of the darkest quarter of the albedo under the brow cards (the skin points they are
 * glued to) over that of the lightest quarter: the brows' contrast against the skin beside them.
 */
function browContrast(albedo: RgbaImage, model: HeadModel): number {
  const brows = model.parts.find((part) => part.material === 'brows')!;
  const glue = brows.attachment!;
  const luminances: number[] = [];
  for (let i = 0; i < brows.positions.length / 3; i++) {
    let u = 0, v = 0;
    for (let k = 0; k < 3; k++) {
      u += glue.weights[3 * i + k] * model.uvs[2 * glue.vertices[3 * i + k]];
      v += glue.weights[3 * i + k] * model.uvs[2 * glue.vertices[3 * i + k] + 1];
    }
    const x = Math.min(albedo.width - 1, Math.floor(u * albedo.width)), y = Math.min(albedo.height - 1, Math.floor((1 - v) * albedo.height));
    const o = 4 * (y * albedo.width + x);
    luminances.push(0.2126 * SRGB_TO_LINEAR[albedo.data[o]] + 0.7152 * SRGB_TO_LINEAR[albedo.data[o + 1]] + 0.0722 * SRGB_TO_LINEAR[albedo.data[o + 2]]);
  }
  luminances.sort((a, b) => a - b);
  const quarter = Math.round(luminances.length / 4);
  const mean = (values: number[]) => values.reduce((s, x) => s + x, 0) / values.length;
  return mean(luminances.slice(0, quarter)) / mean(luminances.slice(-quarter));
}

describe('albedo: the photo\'s brows', function () {
  this.timeout(120_000);

  it('a texel takes the photo only inside the brows and only where the photo is darker than the model', function () {
    const model = Float32Array.of(0.2, 0.2, 0.2), darker = Float32Array.of(0.1, 0.1, 0.1), lighter = Float32Array.of(0.3, 0.3, 0.3);
    assert.equal(photoBrowWeight(1, model, darker, 0), 1);
    assert.equal(photoBrowWeight(0.5, model, darker, 0), 0.5);
    assert.equal(photoBrowWeight(0, model, darker, 0), 0);
    assert.equal(photoBrowWeight(1, model, lighter, 0), 0);
    assert.ok(Math.abs(photoBrowWeight(1, model, Float32Array.of(0.17, 0.17, 0.17), 0) - 0.5) < 1e-6);
  });

  it('hrn 00016\'s dark brows reach the default head\'s albedo; without the brow mask they fade', async function () {
    const { data, albedoInput } = await defaultHeadAvatar(this, 'photos', 'hrn', 'single', '00016.png');
    const withBrows = browContrast(data.albedo, data.model);
    // The same fit and model without the brow mask: the albedo as it was.
    const albedoModel = readUvapm(data.model.albedoModel!);
    const without = await estimateAlbedo({ ...albedoInput, browMask: undefined }, { size: 512, albedoModel });
    const withoutBrows = browContrast(without.albedo, data.model);
    console.log(`      brow / skin luminance under the brow cards: without the brow mask ${withoutBrows.toFixed(3)}, with it ${withBrows.toFixed(3)}`);
    assert.ok(withBrows < 0.45, `brows as dark as ${withBrows.toFixed(3)} of the skin`);
    assert.ok(withBrows < withoutBrows - 0.15, `the brow mask darkens the brows (${withoutBrows.toFixed(3)} -> ${withBrows.toFixed(3)})`);
  });
});
