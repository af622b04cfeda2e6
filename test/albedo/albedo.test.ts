import assert from 'node:assert/strict';
import { estimateAlbedo } from '../../src/albedo/albedo.js';
import { shBasis, shShadingBasis, SH_COUNT } from '../../src/albedo/sh-light.js';
import { getUvRaster, unwrapPhoto } from '../../src/albedo/unwrap.js';
import { getMirrorMap } from '../../src/albedo/completion.js';
import { SRGB_TO_LINEAR, linearToSrgb } from '../../src/image/srgb.js';
import { PhotoAvatarError } from '../../src/errors.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { accumulateShadingError, buildSphereHead, makeCamera, renderPhoto, SKIN, trueAlbedo, trueLight } from './synthetic-scene.js';

const PHOTO = 512;

describe('materials: SH basis', () => {
  it('is orthonormal on the sphere (quadrature)', () => {
    // Gauss-free midpoint quadrature in (cos theta, phi): exact enough for degree <= 4 products.
    const nt = 200, np = 400;
    const gram = new Float64Array(SH_COUNT * SH_COUNT);
    const y = new Float64Array(SH_COUNT);
    const dA = (2 / nt) * ((2 * Math.PI) / np);
    for (let i = 0; i < nt; i++) {
      const z = -1 + (2 * (i + 0.5)) / nt, s = Math.sqrt(1 - z * z);
      for (let j = 0; j < np; j++) {
        const phi = (2 * Math.PI * (j + 0.5)) / np;
        shBasis(s * Math.cos(phi), s * Math.sin(phi), z, y);
        for (let a = 0; a < SH_COUNT; a++) for (let b = 0; b < SH_COUNT; b++) gram[a * SH_COUNT + b] += y[a] * y[b] * dA;
      }
    }
    let worst = 0;
    for (let a = 0; a < SH_COUNT; a++) for (let b = 0; b < SH_COUNT; b++) worst = Math.max(worst, Math.abs(gram[a * SH_COUNT + b] - (a === b ? 1 : 0)));
    console.log(`    SH Gram matrix max deviation from identity: ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3);
  });

  it('has the known values and Lambertian factors', () => {
    const y = new Float64Array(SH_COUNT);
    shBasis(0, 0, 1, y);
    assert.ok(Math.abs(y[0] - 0.2820948) < 1e-6);
    assert.ok(Math.abs(y[2] - 0.4886025) < 1e-6);
    assert.ok(Math.abs(y[6] - 2 * 0.3153916) < 1e-6);
    shBasis(Math.SQRT1_2, Math.SQRT1_2, 0, y);
    assert.ok(Math.abs(y[4] - 1.0925484 * 0.5) < 1e-6);
    // Constant radiance L (gamma_0 = L * sqrt(4 pi)) shades a Lambertian surface to exactly L.
    const h = new Float64Array(SH_COUNT);
    shShadingBasis(0.3, -0.5, Math.sqrt(1 - 0.34), h);
    assert.ok(Math.abs(Math.sqrt(4 * Math.PI) * h[0] - 1) < 1e-9);
  });
});

describe('materials: albedo from a synthetic photo', function () {
  const model = buildSphereHead();
  const light = trueLight();

  function psnr(sum: number, count: number): number {
    return 10 * Math.log10(1 / (sum / count));
  }

  /** Per-channel scale s_c minimising |s_c * estimate_c - truth_c|: the unobservable albedo/light split. */
  function channelScales(estimate: Float32Array, truth: Float32Array): number[] {
    return [0, 1, 2].map((c) => {
      let num = 0, den = 0;
      for (let k = 0; k < SH_COUNT; k++) {
        num += estimate[c * SH_COUNT + k] * truth[c * SH_COUNT + k];
        den += estimate[c * SH_COUNT + k] ** 2;
      }
      return num / den;
    });
  }

  async function run(yawDeg: number, size: number) {
    const camera = makeCamera(yawDeg, PHOTO, PHOTO);
    const vertices = model.positions;
    const image = renderPhoto(model, vertices, camera, light, PHOTO, PHOTO);
    const result = await estimateAlbedo({ image, model, vertices, camera }, { size });
    const unwrapped = unwrapPhoto({ image, model, vertices, camera }, size);
    return { result, unwrapped, camera };
  }

  /** Squared sRGB error of the estimated texel vs the true albedo (estimated light scale undone). */
  function texelError(result: Awaited<ReturnType<typeof run>>['result'], texel: number, size: number, scales: number[], truth: Float64Array): number {
    const column = texel % size, row = Math.floor(texel / size);
    trueAlbedo((column + 0.5) / size, 1 - (row + 0.5) / size, truth);
    let e = 0;
    for (let c = 0; c < 3; c++) {
      const estimated = linearToSrgb(SRGB_TO_LINEAR[result.albedo.data[4 * texel + c]] / scales[c]);
      e += (estimated - linearToSrgb(truth[c])) ** 2;
    }
    return e / 3;
  }

  it('recovers the light and the albedo over observed texels (frontal, 512)', async () => {
    const size = 512;
    const { result, unwrapped } = await run(0, size);
    const scales = channelScales(result.light, light);
    let errorNorm = 0, truthNorm = 0;
    for (let i = 0; i < 27; i++) {
      errorNorm += (result.light[i] * scales[Math.floor(i / 9)] - light[i]) ** 2;
      truthNorm += light[i] ** 2;
    }
    const lightError = Math.sqrt(errorNorm / truthNorm);
    // Coefficients are only partly observable from one view (normals span a cap), so the decisive
    // figure is the shading error over the normals that were seen.
    const { raster, weight, normal } = unwrapped;
    const h = new Float64Array(SH_COUNT);
    const shading = new Float64Array(2);
    const truth = new Float64Array(3);
    let sum = 0, count = 0;
    for (let i = 0; i < raster.texel.length; i++) {
      if (weight[i] < 0.3) continue;
      accumulateShadingError(result.light, scales, light, normal[3 * i], normal[3 * i + 1], normal[3 * i + 2], h, shading);
      sum += texelError(result, raster.texel[i], size, scales, truth);
      count++;
    }
    const shadingRelative = Math.sqrt(shading[0] / shading[1]);
    const albedoPsnr = psnr(sum, count);
    console.log(`    shading relative error over observed normals ${(shadingRelative * 100).toFixed(2)}%, ` +
      `SH coefficient relative error ${(lightError * 100).toFixed(2)}% (per-channel scale ${scales.map((s) => s.toFixed(3)).join(', ')}), ` +
      `albedo PSNR over ${count} observed texels ${albedoPsnr.toFixed(2)} dB, coverage ${result.coverage.toFixed(3)}`);
    console.log(`    timings ${JSON.stringify(Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)])))}`);
    assert.ok(shadingRelative < 0.02, `shading error ${shadingRelative}`);
    assert.ok(lightError < 0.15, `light coefficient error ${lightError}`);
    assert.ok(albedoPsnr > 32, `albedo PSNR ${albedoPsnr}`);
    assert.ok(result.coverage > 0.97, `frontal coverage ${result.coverage}`);
  });

  it('fills the unseen side from the mirror (yaw 60 degrees, 256)', async () => {
    const size = 256;
    const { result, unwrapped } = await run(60, size);
    const scales = channelScales(result.light, light);
    const { raster, weight } = unwrapped;
    const mirror = getMirrorMap(model, raster);
    const truth = new Float64Array(3);
    let sum = 0, count = 0, flatSum = 0;
    for (let i = 0; i < raster.texel.length; i++) {
      if (weight[i] > 0 || raster.skin[i] < 0.5) continue;
      // Unseen here, well seen on the other side.
      const mx = Math.round(mirror.position[2 * i]), my = Math.round(mirror.position[2 * i + 1]);
      const slot = raster.slot[my * size + mx];
      if (slot < 0 || weight[slot] < 0.5) continue;
      sum += texelError(result, raster.texel[i], size, scales, truth);
      // Baseline: the flat base tone a fill without mirroring would give at best.
      let flat = 0;
      const column = raster.texel[i] % size, row = Math.floor(raster.texel[i] / size);
      trueAlbedo((column + 0.5) / size, 1 - (row + 0.5) / size, truth);
      for (let c = 0; c < 3; c++) flat += (linearToSrgb(SKIN[c]) - linearToSrgb(truth[c])) ** 2;
      flatSum += flat / 3;
      count++;
    }
    const mirroredPsnr = psnr(sum, count), flatPsnr = psnr(flatSum, count);
    console.log(`    mirrored texels ${count}: PSNR ${mirroredPsnr.toFixed(2)} dB (flat-tone baseline ${flatPsnr.toFixed(2)} dB), coverage ${result.coverage.toFixed(3)}`);
    assert.ok(count > 1000);
    assert.ok(mirroredPsnr > 28, `mirrored PSNR ${mirroredPsnr}`);
    assert.ok(mirroredPsnr > flatPsnr + 5);
  });

  it('reports coverage that drops as the head turns away', async () => {
    const size = 128;
    const coverages: number[] = [];
    for (const yaw of [0, 45, 90]) coverages.push((await run(yaw, size)).result.coverage);
    console.log(`    coverage at yaw 0/45/90: ${coverages.map((c) => c.toFixed(3)).join(' / ')}`);
    assert.ok(coverages[0] > 0.97);
    assert.ok(coverages[1] < coverages[0] && coverages[1] > 0.7);
    assert.ok(coverages[2] > 0.35 && coverages[2] < 0.65);
  });

  it('leaves no hard edges or background in the texture', async () => {
    const size = 256;
    const { result } = await run(60, size);
    // The sphere's UVs cover the whole square, so every texel must be skin-like (no grey background).
    const data = result.albedo.data;
    let grey = 0;
    for (let p = 0; p < size * size; p++) {
      const r = data[4 * p], g = data[4 * p + 1], b = data[4 * p + 2];
      if (Math.abs(r - 128) < 6 && Math.abs(g - 128) < 6 && Math.abs(b - 128) < 6) grey++;
    }
    console.log(`    background-grey texels: ${grey}`);
    assert.ok(grey < size * size * 0.001);
  });

  it('maps the sphere mirror to the reflected column', () => {
    const size = 128;
    const raster = getUvRaster(model, size);
    const mirror = getMirrorMap(model, raster);
    let worst = 0, valid = 0;
    for (let i = 0; i < raster.texel.length; i++) {
      const x = mirror.position[2 * i];
      if (x !== x) continue;
      valid++;
      const column = raster.texel[i] % size;
      worst = Math.max(worst, Math.abs(x - (size - 1 - column)));
    }
    assert.ok(valid > raster.texel.length * 0.95);
    assert.ok(worst < 1e-2, `worst mirror column error ${worst}`);
  });

  it('rejects bad input with PhotoAvatarError', async () => {
    const camera = makeCamera(0, 32, 32);
    const image = { width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4) };
    await assert.rejects(estimateAlbedo({ image, model, vertices: new Float32Array(3), camera }), PhotoAvatarError);
    await assert.rejects(estimateAlbedo({ image, model: model as HeadModel, vertices: model.positions, camera }, { size: 7 }), PhotoAvatarError);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(estimateAlbedo({ image, model, vertices: model.positions, camera }, { size: 64, signal: controller.signal }), { code: 'ABORTED' });
  });
});
