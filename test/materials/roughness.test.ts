import assert from 'node:assert/strict';
import { computeRoughnessMap, MAX_SKIN_ROUGHNESS, MIN_SKIN_ROUGHNESS, roughnessRegions } from '../../src/materials/roughness.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import type { RgbaImage } from '../../src/types.js';
import { defaultHeadOrSkip } from '../export/synthetic-avatar.js';

function flatAlbedo(size: number, rgb: [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) data.set([rgb[0], rgb[1], rgb[2], 255], 4 * p);
  return { width: size, height: size, data };
}

/** Map value at a vertex's UV (nearest texel). */
function sampleAtVertex(map: Float32Array, size: number, model: HeadModel, v: number): number {
  const x = Math.min(size - 1, Math.floor(model.uvs[2 * v] * size));
  const y = Math.min(size - 1, Math.floor((1 - model.uvs[2 * v + 1]) * size));
  return map[y * size + x];
}

/** Adds a round patch of `delta` (0..255) around a vertex's UV. */
function paintSpot(image: RgbaImage, model: HeadModel, v: number, radius: number, delta: number): void {
  const cx = model.uvs[2 * v] * image.width, cy = (1 - model.uvs[2 * v + 1]) * image.height;
  for (let y = Math.floor(cy - radius); y <= cy + radius; y++) for (let x = Math.floor(cx - radius); x <= cx + radius; x++) {
    if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > radius * radius) continue;
    const o = 4 * (y * image.width + x);
    for (let c = 0; c < 3; c++) image.data[o + c] = Math.max(0, Math.min(255, image.data[o + c] + delta));
  }
}

describe('materials/roughness', function () {
  let model: HeadModel;
  before(async function () {
    model = await defaultHeadOrSkip(this);
  });

  it('gives the T-zone lower, lips and brows higher roughness than the cheeks', function () {
    const size = 512;
    const start = performance.now();
    const { roughness, image } = computeRoughnessMap(model, model.positions, flatAlbedo(size, [200, 150, 130]));
    const ms = performance.now() - start;
    const regions = roughnessRegions(model, model.positions);
    const groups: Record<string, number[]> = { tZone: [], cheeks: [], lips: [], brows: [] };
    for (let v = 0; v < model.vertexCount; v++) {
      const value = sampleAtVertex(roughness, size, model, v);
      const { tZone, lips, brows } = { tZone: regions.tZone[v], lips: regions.lips[v], brows: regions.brows[v] };
      if (tZone > 0.8 && lips < 0.05 && brows < 0.05) groups.tZone.push(value);
      else if (lips > 0.95) groups.lips.push(value);
      else if (brows > 0.8) groups.brows.push(value);
      else if (tZone < 0.05 && lips < 0.01 && brows < 0.01 && model.skinWeight[v] > 0.9) groups.cheeks.push(value);
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const summary = Object.entries(groups).map(([name, values]) => `${name} ${mean(values).toFixed(3)} (${values.length} vertices, ${Math.min(...values).toFixed(2)}..${Math.max(...values).toFixed(2)})`);
    console.log(`    ${size}² map in ${ms.toFixed(0)} ms; mean roughness: ${summary.join(', ')}`);
    for (const values of Object.values(groups)) assert.ok(values.length > 20, 'every region has vertices');
    assert.ok(mean(groups.tZone) < mean(groups.cheeks) - 0.08, 'T-zone glossier than cheeks');
    assert.ok(mean(groups.lips) > mean(groups.cheeks) + 0.04, 'lips rougher than cheeks');
    assert.ok(mean(groups.brows) > mean(groups.lips) + 0.08, 'brows roughest');
    for (const value of roughness) assert.ok(value >= MIN_SKIN_ROUGHNESS && value <= MAX_SKIN_ROUGHNESS);
    // glTF packing: roughness in G, metallic 0 in B.
    const texel = 4 * (size * (size >> 1) + (size >> 1));
    assert.equal(image.data[texel + 2], 0);
    assert.ok(Math.abs(image.data[texel + 1] / 255 - roughness[size * (size >> 1) + (size >> 1)]) < 1 / 255);
  });

  it('reads highlights left in the albedo as glossier skin and dark fine detail as rougher', function () {
    const size = 512;
    const cheek = model.landmarks68[3];
    const nose = model.landmarks68[30];
    const plain = computeRoughnessMap(model, model.positions, flatAlbedo(size, [200, 150, 130])).roughness;
    const albedo = flatAlbedo(size, [200, 150, 130]);
    paintSpot(albedo, model, nose, 4, 45);
    paintSpot(albedo, model, cheek, 3, -60);
    const cued = computeRoughnessMap(model, model.positions, albedo).roughness;
    const noseBefore = sampleAtVertex(plain, size, model, nose), noseAfter = sampleAtVertex(cued, size, model, nose);
    const cheekBefore = sampleAtVertex(plain, size, model, cheek), cheekAfter = sampleAtVertex(cued, size, model, cheek);
    const noCues = computeRoughnessMap(model, model.positions, albedo, { albedoCues: false }).roughness;
    console.log(`    nose tip with a highlight: ${noseBefore.toFixed(3)} -> ${noseAfter.toFixed(3)}; cheek with a dark speck: ${cheekBefore.toFixed(3)} -> ${cheekAfter.toFixed(3)}; without cues ${sampleAtVertex(noCues, size, model, nose).toFixed(3)}`);
    assert.ok(noseAfter < noseBefore - 0.07);
    assert.ok(cheekAfter > cheekBefore + 0.05);
    assert.equal(sampleAtVertex(noCues, size, model, nose), noseBefore);
  });
});
