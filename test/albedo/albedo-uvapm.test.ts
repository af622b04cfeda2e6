/**
 * The albedo stage with a UV albedo parametric model (stages 2 and 3 of the fitting engine).
 * 1. Stage 2 alone on a texture rendered from the model itself (known coefficients and lights, one
 *    and two views): the alternating closed-form solves must recover them.
 * 2. The paper's setup on a real photo: the HiFi3D++ fixture pack fitted to an FFHQ photo, a UVAPM
 *    built in-test from the shared FFHQ-UV maps minus the photo's own map, then stage 2 (residual per
 *    round, coefficients within ±4σ), stage 3 (high-frequency energy restored) and the re-render's
 *    masked PSNR with and without the model.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { buildUvapm } from '../../src/albedo/build/builder.js';
import { fitUvapmUnderLight, upsamplePlanes, type UvapmObservation } from '../../src/albedo/fit-albedo.js';
import { srgbDecode } from '../../src/image/srgb.js';
import { uvFaceMaskFromModel, uvMapToPlanes } from '../../src/albedo/build/uv-maps.js';
import type { UvapmModel } from '../../src/albedo/uvapm-format.js';
import { decodeImage } from '../../src/image/decode.js';
import { estimateAlbedo, type AlbedoInput, type AlbedoResult } from '../../src/albedo/albedo.js';
import { shShadingBasis, SH_COUNT } from '../../src/albedo/sh-light.js';
import { boxBlur } from '../../src/albedo/texture-filters.js';
import { unwrapPhoto } from '../../src/albedo/unwrap.js';
import { compositeOverPhoto, renderInPhoto } from '../../src/metrics/rerender.js';
import { comparedRegion } from '../../src/metrics/report.js';
import { maskedPsnr } from '../../src/metrics/photometric.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { importHifi3dpp } from '../../src/modelpack/importers/hifi3dpp.js';
import { createAvatarData, createAvatarDataWithAlbedoInput } from '../../src/pipeline.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { gaussian, rng, syntheticGenerator } from './synthetic-maps.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { buildSphereHead, makeCamera, renderPhoto, trueAlbedo, trueLight } from './synthetic-scene.js';
import { getMirrorMap } from '../../src/albedo/completion.js';

function relativeError(estimate: ArrayLike<number>, truth: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < truth.length; i++) { num += (estimate[i] - truth[i]) ** 2; den += truth[i] ** 2; }
  return Math.sqrt(num / den);
}

/** A face-like frontal hemisphere of normals over the UV grid, seen where it faces the camera. */
function hemisphereObservation(model: UvapmModel, coefficients: Float32Array[], light: Float32Array, yaw: number): UvapmObservation {
  const d = model.size, D = d * d;
  const colour = new Float32Array(3 * D), normal = new Float32Array(3 * D), weight = new Float32Array(D);
  const h = new Float64Array(SH_COUNT);
  const albedo = new Float32Array(3 * D);
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < D; t++) {
      let a = model.means[c][t];
      for (let k = 0; k < model.componentCount; k++) a += coefficients[c][k] * model.components[c][k * D + t];
      albedo[c * D + t] = a;
    }
  }
  for (let y = 0; y < d; y++) {
    for (let x = 0; x < d; x++) {
      const t = y * d + x;
      const nx = 1.7 * ((x + 0.5) / d - 0.5), ny = 1.7 * (0.5 - (y + 0.5) / d), r2 = nx * nx + ny * ny;
      if (r2 >= 0.95) continue;
      normal[3 * t] = nx; normal[3 * t + 1] = ny; normal[3 * t + 2] = Math.sqrt(1 - r2);
      // Visible from a camera turned by `yaw` about the vertical axis: facing it, not grazing.
      const facing = Math.sin(yaw) * nx + Math.cos(yaw) * normal[3 * t + 2];
      if (facing < 0.15) continue;
      weight[t] = Math.min(1, facing / 0.5);
      shShadingBasis(nx, ny, normal[3 * t + 2], h);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < SH_COUNT; k++) s += light[c * SH_COUNT + k] * h[k];
        colour[3 * t + c] = srgbDecode(albedo[c * D + t]) * s;
      }
    }
  }
  return { colour, normal, weight };
}

/** Modes of texel-scale blurred noise: little in common with the smooth SH shading. */
function noiseModeMaps(d: number): (i: number) => Float32Array {
  const D = d * d, random = rng(3);
  const modes = Array.from({ length: 6 }, () => {
    const mode = new Float32Array(3 * D), field = new Float32Array(D);
    for (let c = 0; c < 3; c++) {
      for (let t = 0; t < D; t++) field[t] = gaussian(random);
      boxBlur(field, d, 1, 1, 2);
      for (let t = 0; t < D; t++) mode[c * D + t] = field[t] * (0.8 + 0.2 * c);
    }
    return mode;
  });
  return (i) => {
    const r = rng(100 + i), out = new Float32Array(3 * D);
    for (let c = 0; c < 3; c++) out.fill(0.55 + 0.1 * c, c * D, (c + 1) * D);
    modes.forEach((mode, k) => { const a = (0.15 / (1 + k)) * gaussian(r); for (let j = 0; j < 3 * D; j++) out[j] += a * mode[j]; });
    return out;
  };
}

describe('albedo with a UVAPM: stage 2 recovers a texture rendered from the model itself', function () {
  this.timeout(60000);
  const d = 32;
  // Smooth modes (as smooth as the shading, so nearly confounded with the light) and texel-scale ones.
  const kinds: [string, (i: number) => Float32Array][] = [
    ['smooth modes', (i) => syntheticGenerator(d, 6, 0.002, 11).map(i)],
    ['texel-scale modes', noiseModeMaps(d)],
  ];
  for (const [kind, maps] of kinds) {
    for (const views of [1, 2]) {
      it(`${kind}, ${views} view(s): coefficients and lights within 1 % in the default 4 rounds`, async () => {
        const { model } = await buildUvapm({ names: Array.from({ length: 60 }, (_, i) => `${i}`), load: async (i) => ({ planes: maps(i) }) }, { size: d, components: 6, backend: 'ts' });
        const random = rng(5);
        const truth = [0, 1, 2].map((c) => Float32Array.from({ length: model.componentCount }, (_, k) => 1.5 * Math.sqrt(model.variances[c][k]) * gaussian(random)));
        const lights = Array.from({ length: views }, (_, v) => {
          const light = trueLight();
          // The second view: another room (warmer, light from the other side), camera turned 30°.
          if (v === 1) for (let c = 0; c < 3; c++) { light[c * SH_COUNT] *= 1.1 - 0.1 * c; light[c * SH_COUNT + 3] *= -1; }
          return light;
        });
        const observations = lights.map((light, v) => hemisphereObservation(model, truth, light, v === 0 ? 0 : 0.5));
        const solve = async (joint: boolean) => {
          const fit = await fitUvapmUnderLight(model, observations, { joint, regularization: 1e-9, lightRidge: 1e-9 });
          const coefficients = relativeError(fit.coefficients.flatMap((c) => Array.from(c)), truth.flatMap((c) => Array.from(c)));
          return { fit, coefficients, lights: fit.lights.map((light, v) => relativeError(light, lights[v])) };
        };
        const { fit, coefficients, lights: lightErrors } = await solve(true);
        const alternation = await solve(false);
        const r = fit.residuals;
        console.log(`      ${kind}, ${views} view(s), K=${model.componentCount}: coefficient rel. error ${coefficients.toExponential(2)}, light ${lightErrors.map((e) => e.toExponential(2)).join(', ')}; ` +
          `RMSE per round ${r.map((x) => x.toExponential(1)).join(' ')} (plain alternation: ${alternation.coefficients.toExponential(2)}, light ${alternation.lights.map((e) => e.toExponential(2)).join(', ')})`);
        assert.equal(r.length, 4);
        assert.ok(coefficients < 1e-2, `coefficients ${coefficients}`);
        for (const e of lightErrors) assert.ok(e < 1e-2, `light ${e}`);
        for (let i = 1; i < r.length; i++) assert.ok(r[i] <= r[i - 1] * (1 + 1e-6) + 1e-9, `residual rose in round ${i + 1}: ${r[i - 1]} -> ${r[i]}`);
      });
    }
  }
});

describe('albedo with a UVAPM: stage 3 mirrors detail into unseen symmetric texels (synthetic sphere, yaw 60°)', function () {
  this.timeout(60000);

  it('the unseen side gets the seen side\'s detail, correlated with the true pattern', async () => {
    const head = buildSphereHead(), size = 256, d = 32;
    // A smooth model in the sphere's layout: it cannot hold the 16 × 8-cycle pattern of the true albedo, the detail must.
    const gen = syntheticGenerator(d, 4, 0.002, 2);
    const { model } = await buildUvapm({ names: Array.from({ length: 30 }, (_, i) => `${i}`), load: async (i) => ({ planes: gen.map(i) }) }, { size: d, components: 4, backend: 'ts' });
    const camera = makeCamera(60, 512, 512);
    const image = renderPhoto(head, head.positions, camera, trueLight(), 512, 512);
    const input = { image, model: head, vertices: head.positions, camera };
    const result = await estimateAlbedo(input, { size, albedoModel: model });
    const { raster, weight } = unwrapPhoto(input, size);
    const mirror = getMirrorMap(head, raster);
    const truth = new Float64Array(3);
    const correlation = (select: (i: number) => boolean) => {
      let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let i = 0; i < raster.texel.length; i++) {
        if (!select(i)) continue;
        const p = raster.texel[i];
        trueAlbedo((p % size + 0.5) / size, 1 - (Math.floor(p / size) + 0.5) / size, truth);
        const x = result.detail![p], y = truth[0];
        n++; sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
      }
      return { n, r: (sxy - (sx * sy) / n) / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n)) };
    };
    const seen = correlation((i) => weight[i] > 0.6);
    const mirrored = correlation((i) => {
      if (weight[i] > 0) return false;
      const mx = Math.round(mirror.position[2 * i]), my = Math.round(mirror.position[2 * i + 1]);
      const slot = mx === mx ? raster.slot[my * size + mx] : -1;
      return slot >= 0 && weight[slot] > 0.6;
    });
    console.log(`      detail vs true pattern: seen texels r = ${seen.r.toFixed(3)} (${seen.n}), unseen texels with a well-seen mirror r = ${mirrored.r.toFixed(3)} (${mirrored.n})`);
    assert.ok(mirrored.n > 1000);
    assert.ok(seen.r > 0.8, `seen ${seen.r}`);
    assert.ok(mirrored.r > 0.6, `mirrored ${mirrored.r}`);
  });
});

/** Mean squared high-pass (value minus its 5×5 box mean) of the value channel over `region` texels of an 8-bit texture. */
/**
 * High frequencies of V (value minus a 5×5 box blur) over the region: mean energy, and the median
 * and 99.9th percentile of their magnitude (typical detail, and the largest excursions).
 */
function highFrequencies(texture: RgbaImage, region: Uint8Array): { energy: number; median: number; peak: number } {
  const S = texture.width, values = new Float32Array(S * S);
  for (let p = 0; p < S * S; p++) values[p] = Math.max(texture.data[4 * p], texture.data[4 * p + 1], texture.data[4 * p + 2]) / 255;
  const low = Float32Array.from(values);
  boxBlur(low, S, 1, 2, 1);
  const magnitudes: number[] = [];
  for (let p = 0; p < S * S; p++) if (region[p]) magnitudes.push(Math.abs(values[p] - low[p]));
  magnitudes.sort((a, b) => a - b);
  const energy = magnitudes.reduce((sum, m) => sum + m * m, 0) / magnitudes.length;
  return { energy, median: magnitudes[magnitudes.length >> 1], peak: magnitudes[Math.floor(0.999 * (magnitudes.length - 1))] };
}

/** The coarse albedo alone (model decoded with the fitted coefficients, upsampled) as an 8-bit texture. */
function coarseTexture(model: UvapmModel, coefficients: Float32Array[], size: number): RgbaImage {
  const d = model.size, D = d * d, planes = new Float32Array(3 * D);
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < D; t++) {
      let a = model.means[c][t];
      for (let k = 0; k < model.componentCount; k++) a += coefficients[c][k] * model.components[c][k * D + t];
      planes[c * D + t] = a;
    }
  }
  const up = upsamplePlanes(planes, d, size), data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.round(Math.min(1, Math.max(0, up[c * size * size + p])) * 255);
    data[4 * p + 3] = 255;
  }
  return { width: size, height: size, data };
}

function rerenderPsnr(data: AvatarData, image: RgbaImage, albedo: AlbedoResult): number {
  const { render, coverage } = renderInPhoto({ ...data, albedo: albedo.albedo, light: albedo.light }, image);
  return maskedPsnr(image, compositeOverPhoto(image, render, 1), comparedRegion(coverage, data.skinMask!));
}

describe('albedo with a UVAPM on a real photo (HiFi3D++ fixture, FFHQ-UV maps)', function () {
  requireSharedData(this, 'hifi3d', 'uv_maps');
  requireSharedData(this, 'hifi3d', 'uv_photos');
  requireSharedData(this, 'hifi3d', 'hifi3dpp_model_info.fixture32z.mat');
  this.timeout(180000);
  const PHOTO = '00012';
  const SIZE = 512, MODEL_SIZE = 64;
  let head: HeadModel, image: RgbaImage, uvapm: UvapmModel, data: AvatarData, input: AlbedoInput;
  let plain: AlbedoResult, fitted: AlbedoResult;

  before(async () => {
    head = importHifi3dpp(readFileSync(sharedPath('hifi3d', 'hifi3dpp_model_info.fixture32z.mat')));
    image = decodeImage(readFileSync(sharedPath('hifi3d', 'uv_photos', `${PHOTO}.png`))).image;
    // Honest setup: the photo's own FFHQ-UV map stays out of the model.
    const folder = sharedPath('hifi3d', 'uv_maps');
    const names = readdirSync(folder).filter((n) => n.endsWith('.png') && n !== `${PHOTO}.png`).sort();
    const planes = names.map((n) => uvMapToPlanes(decodeImage(readFileSync(`${folder}/${n}`)).image, MODEL_SIZE));
    ({ model: uvapm } = await buildUvapm({ names, load: async (i) => ({ planes: planes[i] }) }, { size: MODEL_SIZE, components: 100, mask: uvFaceMaskFromModel(head, MODEL_SIZE), backend: 'ts' }));
    // The photo's masks as the pipeline passes them (hair, deep shade and frames out): the brows' colour bound reaches round them (src/albedo/photo-brows.ts).
    ({ data, albedoInput: input } = await createAvatarDataWithAlbedoInput(image, { model: head, albedoModel: uvapm, textureSize: SIZE, backend: 'wasm' }));
    plain = await estimateAlbedo(input, { size: SIZE });
    fitted = await estimateAlbedo(input, { size: SIZE, albedoModel: uvapm });
  });

  it('the pipeline passes the model through: its coefficients and residual match a direct call', () => {
    // The pipeline's fitted vertices come from its own decode, so the direct call sees them to float rounding.
    const direct = Float32Array.from(fitted.albedoCoefficients!.flatMap((c) => Array.from(c)));
    const coefficientError = relativeError(data.albedoCoefficients!, direct);
    let differing = 0;
    for (let i = 0; i < data.albedo.data.length; i++) if (Math.abs(data.albedo.data[i] - fitted.albedo.data[i]) > 1) differing++;
    console.log(`      pipeline vs direct: coefficient rel. difference ${coefficientError.toExponential(2)}, RMSE ${data.metrics.photometricRmse!.toFixed(6)} vs ${fitted.photometricRmse!.at(-1)!.toFixed(6)}, ${differing} texture bytes differ by more than 1`);
    assert.equal(data.albedoCoefficients!.length, 3 * uvapm.componentCount);
    assert.ok(coefficientError < 1e-3);
    assert.ok(Math.abs(data.metrics.photometricRmse! - fitted.photometricRmse!.at(-1)!) < 1e-5);
    // The pipeline also takes the photo's hair out of the face mask (hair/photo-hair.ts), which
    // this direct call does not, so texels near the hairline may differ (measured 1.0 %).
    assert.ok(differing < data.albedo.data.length * 0.02);
  });

  it('stage 2: the photometric residual falls every round; coefficients finite and within ±4σ', () => {
    const r = fitted.photometricRmse!;
    const sigmas = fitted.albedoCoefficients!.map((c, ch) => Array.from(c, (x, k) => x / Math.sqrt(uvapm.variances[ch][k])));
    console.log(`      UVAPM ${MODEL_SIZE}² from ${uvapm.provenance.mapCount} maps (without ${PHOTO}), K=${uvapm.componentCount}; photometric RMSE (linear RGB, skin) per round: ${r.map((x) => x.toFixed(5)).join(' -> ')}`);
    const objective = fitted.stage2Objective!;
    console.log(`      stage-2 objective (data + priors) per round: ${objective.map((x) => x.toExponential(4)).join(' -> ')}`);
    for (let i = 1; i < objective.length; i++) assert.ok(objective[i] <= objective[i - 1] * (1 + 1e-9), `objective rose in round ${i + 1}: ${objective[i - 1]} -> ${objective[i]}`);
    console.log(`      coefficients / σ: ${sigmas.map((s, ch) => `${'rgb'[ch]} [${s.map((x) => x.toFixed(2)).join(' ')}]`).join('  ')}`);
    console.log(`      light DC r,g,b: photo-only ${[0, 9, 18].map((i) => plain.light[i].toFixed(3)).join(' ')}, with the model ${[0, 9, 18].map((i) => fitted.light[i].toFixed(3)).join(' ')}`);
    assert.equal(r.length, 4);
    // Each round lowers data + priors (albedo and the pull towards the photo-only light); the data
    // term alone may give back a little once the priors bind.
    for (let i = 1; i < r.length; i++) assert.ok(r[i] <= r[i - 1] * 1.005, `round ${i + 1}: ${r[i - 1]} -> ${r[i]}`);
    // The light stays physical: each channel's ambient term near the photo-only estimate.
    for (const i of [0, 9, 18]) assert.ok(Math.abs(fitted.light[i] / plain.light[i] - 1) < 0.25, `light DC ${fitted.light[i]} vs photo-only ${plain.light[i]}`);
    // The fit does work: its objective (data + priors) falls by more than 1 %.
    assert.ok(objective[objective.length - 1] < 0.99 * objective[0], `objective ${objective[0]} -> ${objective[objective.length - 1]}`);
    assert.ok(r[r.length - 1] < 0.08, `residual ${r[r.length - 1]}`);
    for (const s of sigmas.flat()) assert.ok(Number.isFinite(s) && Math.abs(s) <= 4, `coefficient at ${s} σ`);
    for (const x of fitted.light) assert.ok(Number.isFinite(x));
  });

  it('stage 3 restores the high-frequency detail the coarse model lacks', () => {
    const { weight, raster } = unwrapPhoto(input, SIZE);
    const region = new Uint8Array(SIZE * SIZE);
    for (let i = 0; i < raster.texel.length; i++) {
      const p = raster.texel[i], y = Math.floor(p / SIZE), x = p % SIZE;
      const inModel = uvapm.mask[Math.floor((y * MODEL_SIZE) / SIZE) * MODEL_SIZE + Math.floor((x * MODEL_SIZE) / SIZE)];
      if (weight[i] > 0.6 && raster.skin[i] > 0.9 && inModel) region[p] = 1;
    }
    const coarse = highFrequencies(coarseTexture(uvapm, fitted.albedoCoefficients!, SIZE), region);
    const fused = highFrequencies(fitted.albedo, region);
    const photo = highFrequencies(plain.albedo, region);
    const show = (h: typeof coarse) => `energy ${h.energy.toExponential(2)} median ${h.median.toFixed(4)} 99.9 % ${h.peak.toFixed(4)}`;
    console.log(`      high frequencies of V on well-seen skin (${region.reduce((n, v) => n + v, 0)} texels): coarse ${show(coarse)}; coarse + detail ${show(fused)}; photo-only albedo ${show(photo)}`);
    assert.ok(fused.energy > 5 * coarse.energy, 'detail must add high frequencies');
    // Typical detail (pores, fine wrinkles) comes back at the photo's amplitude; the largest
    // excursions (specular dots, crease shadows, glasses) are bounded (DETAIL_LIMIT).
    assert.ok(fused.median > 0.6 * photo.median && fused.median < 1.4 * photo.median, `typical detail ${fused.median} vs the photo's ${photo.median}`);
    assert.ok(fused.peak < 0.8 * photo.peak, `largest excursions ${fused.peak} vs the photo's ${photo.peak}`);
  });

  it('prints the masked PSNR of the re-render with and without the model', () => {
    const without = rerenderPsnr(data, image, plain), withModel = rerenderPsnr(data, image, fitted);
    console.log(`      re-render vs photo over skin: ${without.toFixed(2)} dB photo-only albedo, ${withModel.toFixed(2)} dB UVAPM coarse + detail (K=${uvapm.componentCount}: the coarse model cannot hold this face's colours)`);
    assert.ok(without > 26, `without ${without}`);
    assert.ok(withModel > 20, `with the model ${withModel}`);
  });
});

describe("albedo with the default head's embedded UVAPM (on by default)", function () {
  requireSharedData(this, 'photos', 'deep3d', '000002.jpg');
  this.timeout(180000);

  it("is used by default, not with albedoModel: false, and its coefficients reach AvatarData", async () => {
    const image = decodeImage(readFileSync(sharedPath('photos', 'deep3d', '000002.jpg'))).image;
    const plain = await createAvatarData(image, { textureSize: 256, backend: 'wasm', albedoModel: false });
    const embedded = await createAvatarData(image, { textureSize: 256, backend: 'wasm' });
    const dc = (light: Float32Array) => [0, 9, 18].map((i) => light[i].toFixed(3)).join(' ');
    console.log(`      deep3d/000002: light DC r,g,b photo-only ${dc(plain.light)}, with the embedded model ${dc(embedded.light)}; `
      + `${embedded.albedoCoefficients?.length ?? 0} albedo coefficients, photometric RMSE ${embedded.metrics.photometricRmse?.toFixed(4)}`);
    assert.equal(plain.albedoCoefficients, undefined);
    assert.ok(embedded.albedoCoefficients && embedded.albedoCoefficients.length >= 3, 'no albedo coefficients');
    assert.equal(embedded.albedoCoefficients.length % 3, 0);
    for (const x of embedded.albedoCoefficients) assert.ok(Number.isFinite(x));
    let differing = 0;
    for (let i = 0; i < plain.albedo.data.length; i += 4) if (Math.abs(plain.albedo.data[i] - embedded.albedo.data[i]) > 8) differing++;
    console.log(`      ${(100 * differing / (plain.albedo.data.length / 4)).toFixed(1)}% of texels differ by more than 8 levels in red`);
    assert.ok(differing > 0, 'the embedded model changed nothing');
    // Per-channel albedo and light trade brightness; the light prior keeps the light near the
    // photo-only one. The skins' colour prior moves this photo's light bluer (measured: blue DC
    // ×1.39, red ×0.89), within the light-colour prior's σ (TINT_SIGMA 0.5 in log).
    for (const i of [0, 9, 18]) assert.ok(Math.abs(Math.log(embedded.light[i] / plain.light[i])) < 0.5, `light DC ${embedded.light[i]} vs photo-only ${plain.light[i]}`);
  });
});
