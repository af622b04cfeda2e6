/**
 * Round trip on the real default head (its UV layout, seams, skin weights and mirror map): render
 * a synthetic photo with a known albedo and SH light, estimate, compare.
 */
import assert from 'node:assert/strict';
import { loadDefaultHead } from '../../src/pipeline.js';
import { estimateAlbedo } from '../../src/albedo/albedo.js';
import { SH_COUNT } from '../../src/albedo/sh-light.js';
import { unwrapPhoto } from '../../src/albedo/unwrap.js';
import { getMirrorMap } from '../../src/albedo/completion.js';
import { SRGB_TO_LINEAR, linearToSrgb } from '../../src/image/srgb.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { accumulateShadingError, makeCamera, renderPhoto, SKIN, trueLight, type AlbedoFunction } from './synthetic-scene.js';

/** Skin tone with a 12 mm checker-like modulation, mirror-symmetric in x. */
const headAlbedo: AlbedoFunction = (_u, _v, x, y, _z, out) => {
  const pattern = 1 + 0.25 * Math.cos((2 * Math.PI * Math.abs(x)) / 0.012) * Math.cos((2 * Math.PI * y) / 0.012);
  for (let c = 0; c < 3; c++) out[c] = SKIN[c] * pattern;
};

describe('materials: albedo on the default head', function () {
  let model: HeadModel;
  before(async function () {
    model = await loadDefaultHead();
  });

  it('recovers light and albedo, mirrors the hidden cheek (yaw 35 degrees, 512)', async () => {
    const size = 512, photo = 640;
    const light = trueLight();
    const camera = makeCamera(35, photo, photo, 0.6, 1500, 0.03);
    const vertices = model.positions;
    const image = renderPhoto(model, vertices, camera, light, photo, photo, headAlbedo);
    const result = await estimateAlbedo({ image, model, vertices, camera }, { size });
    const { raster, weight, normal } = unwrapPhoto({ image, model, vertices, camera }, size);
    const mirror = getMirrorMap(model, raster);

    const scales = [0, 1, 2].map((c) => {
      let num = 0, den = 0;
      for (let k = 0; k < SH_COUNT; k++) {
        num += result.light[c * SH_COUNT + k] * light[c * SH_COUNT + k];
        den += result.light[c * SH_COUNT + k] ** 2;
      }
      return num / den;
    });
    const truth = new Float64Array(3), h = new Float64Array(SH_COUNT);
    const texelError = (i: number): number => {
      const t = raster.triangle[i], b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1], b0 = 1 - b1 - b2;
      const a = model.indices[3 * t] * 3, b = model.indices[3 * t + 1] * 3, c = model.indices[3 * t + 2] * 3;
      const p = model.positions;
      headAlbedo(0, 0, b0 * p[a] + b1 * p[b] + b2 * p[c], b0 * p[a + 1] + b1 * p[b + 1] + b2 * p[c + 1], 0, truth);
      let e = 0;
      for (let k = 0; k < 3; k++) {
        const estimated = linearToSrgb(SRGB_TO_LINEAR[result.albedo.data[4 * raster.texel[i] + k]] / scales[k]);
        e += (estimated - linearToSrgb(truth[k])) ** 2;
      }
      return e / 3;
    };

    let observedSum = 0, observed = 0, mirroredSum = 0, mirrored = 0;
    const shading = new Float64Array(2);
    for (let i = 0; i < raster.texel.length; i++) {
      if (raster.skin[i] < 0.5) continue;
      if (weight[i] >= 0.3) {
        observedSum += texelError(i);
        observed++;
        accumulateShadingError(result.light, scales, light, normal[3 * i], normal[3 * i + 1], normal[3 * i + 2], h, shading);
      } else if (weight[i] === 0) {
        const mx = Math.round(mirror.position[2 * i]), my = Math.round(mirror.position[2 * i + 1]);
        if (!(mx >= 0 && my >= 0 && mx < size && my < size)) continue;
        const slot = raster.slot[my * size + mx];
        if (slot < 0 || weight[slot] < 0.5) continue;
        mirroredSum += texelError(i);
        mirrored++;
      }
    }
    const observedPsnr = 10 * Math.log10(observed / observedSum);
    const mirroredPsnr = 10 * Math.log10(mirrored / mirroredSum);
    const shadingRelative = Math.sqrt(shading[0] / shading[1]);
    console.log(`    default head: shading error ${(shadingRelative * 100).toFixed(2)}%, albedo PSNR observed skin ${observedPsnr.toFixed(2)} dB (${observed} texels), ` +
      `mirrored skin ${mirroredPsnr.toFixed(2)} dB (${mirrored} texels), coverage ${result.coverage.toFixed(3)}`);
    console.log(`    timings ${JSON.stringify(Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)])))}`);
    assert.ok(shadingRelative < 0.05, `shading error ${shadingRelative}`);
    assert.ok(observedPsnr > 30, `observed PSNR ${observedPsnr}`);
    assert.ok(mirrored > 500, `mirrored texels ${mirrored}`);
    assert.ok(mirroredPsnr > 25, `mirrored PSNR ${mirroredPsnr}`);
    assert.ok(result.coverage > 0.5 && result.coverage < 0.98, `coverage ${result.coverage}`);
  });
});
