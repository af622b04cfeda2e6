/**
 * The albedo stage's texture filters and per-texel shading, against direct (slow) definitions:
 * the fast versions must give the same values (box blur within float rounding; min filter,
 * push-pull in place, island coverage and the per-texel shading bit for bit).
 */
import assert from 'node:assert/strict';
import { bilinearOutside, boxBlur, maskedMinFilter, nonZeroBounds, pushPullFill, sampleWeighted } from '../../src/albedo/texture-filters.js';
import { sampleBilinear } from '../../src/image/resize.js';
import { blurredIslandCoverage } from '../../src/albedo/completion.js';
import { evaluateShading, shadeNormal, shShadingBasis, SH_COUNT } from '../../src/albedo/sh-light.js';
import { getUvRaster } from '../../src/albedo/unwrap.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import '../../src/node/asset-files.js';
import { rng } from './synthetic-maps.js';

/** One box pass per axis by its definition: the mean over the window's texels inside the map, times their share of 2r + 1. */
function naiveBoxBlur(values: Float64Array, size: number, channels: number, radius: number, passes: number): Float64Array {
  let current = Float64Array.from(values);
  for (let pass = 0; pass < passes; pass++) {
    for (const horizontal of [true, false]) {
      const next = new Float64Array(current.length);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = horizontal ? x + k : x, yy = horizontal ? y : y + k;
          if (xx >= 0 && yy >= 0 && xx < size && yy < size) sum += current[(yy * size + xx) * channels + c];
        }
        next[(y * size + x) * channels + c] = sum / (2 * radius + 1);
      }
      current = next;
    }
  }
  return current;
}

/**
 * boxBlur's arithmetic one line at a time (a row's channel, then a column's): per output texel the
 * running sum gains texel i + radius, then loses texel i - radius - 1, where they exist; float64
 * sums, each pass's values rounded to float32 as the map holds them.
 */
function sequentialBoxBlur(values: Float32Array, size: number, channels: number, radius: number, passes: number): Float32Array {
  const out = Float32Array.from(values), inv = 1 / (2 * radius + 1);
  const blurLine = (start: number, stride: number): void => {
    const line = Float64Array.from({ length: size }, (_, i) => out[start + i * stride]);
    let sum = 0;
    for (let i = 0; i < Math.min(radius, size); i++) sum += line[i];
    for (let i = 0; i < size; i++) {
      if (i + radius < size) sum += line[i + radius];
      if (i - radius - 1 >= 0) sum -= line[i - radius - 1];
      out[start + i * stride] = sum * inv;
    }
  };
  for (let pass = 0; pass < passes; pass++) {
    for (let row = 0; row < size; row++) for (let c = 0; c < channels; c++) blurLine(row * size * channels + c, channels);
    for (let column = 0; column < size * channels; column++) blurLine(column, size * channels);
  }
  return out;
}

describe('albedo texture filters', () => {
  it('box blur matches its definition, edges and windows wider than the map included', () => {
    const random = rng(7);
    for (const [size, channels, radius, passes] of [[1, 1, 1, 1], [5, 2, 1, 2], [6, 3, 4, 2], [7, 1, 9, 3], [40, 2, 3, 3], [33, 4, 8, 2]]) {
      const values = Float32Array.from({ length: size * size * channels }, () => random());
      const expected = naiveBoxBlur(Float64Array.from(values), size, channels, radius, passes);
      boxBlur(values, size, channels, radius, passes);
      for (let i = 0; i < values.length; i++) {
        assert.ok(Math.abs(values[i] - expected[i]) < 1e-5, `size ${size}, ${channels} ch, r ${radius}, ${passes} passes, value ${i}: ${values[i]} vs ${expected[i]}`);
      }
    }
  });

  it('box blur gives its one-line-at-a-time arithmetic bit for bit (lines run four side by side)', () => {
    const random = rng(19);
    let checked = 0;
    for (const [size, channels, radius, passes] of [[1, 1, 1, 2], [3, 2, 5, 2], [7, 3, 2, 3], [16, 4, 3, 2], [33, 1, 40, 2], [45, 2, 8, 3], [37, 3, 4, 1]]) {
      // Sparse values over six decades, as confidences and weights are.
      const values = Float32Array.from({ length: size * size * channels }, () => (random() < 0.4 ? random() * 10 ** Math.floor(6 * random() - 3) : 0));
      const expected = sequentialBoxBlur(values, size, channels, radius, passes);
      boxBlur(values, size, channels, radius, passes);
      for (let i = 0; i < values.length; i++) assert.ok(Object.is(values[i], expected[i]), `size ${size}, ${channels} ch, r ${radius}: value ${i}`);
      checked += values.length;
    }
    assert.equal(checked, 1 + 18 + 147 + 1024 + 1089 + 4050 + 4107);
  });

  it('box blur skips only what stays the same: +0 regions, bit for bit, -0 made +0 as the running sums make it', () => {
    const random = rng(23);
    let skippable = 0, negativeZeros = 0;
    for (const [size, channels, radius, passes] of [[48, 1, 3, 2], [40, 2, 5, 3], [36, 3, 2, 2], [32, 4, 4, 2], [29, 1, 30, 2]]) {
      // A disc of values over six decades (rounding residues where sums meet them) inside +0, with
      // scattered -0 outside it in the last channel (its lines are not all +0, so not skipped).
      const values = new Float32Array(size * size * channels);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < channels; c++) {
        const inside = (x - 0.6 * size) ** 2 + (y - 0.3 * size) ** 2 < (0.2 * size) ** 2;
        const i = (y * size + x) * channels + c;
        if (inside) values[i] = random() * 10 ** Math.floor(6 * random() - 3);
        else if (c === channels - 1 && y > 0.8 * size && random() < 0.05) { values[i] = -0; negativeZeros++; }
      }
      const expected = sequentialBoxBlur(values, size, channels, radius, passes);
      skippable += values.filter((v, i) => Object.is(expected[i], 0) && Object.is(v, 0)).length;
      boxBlur(values, size, channels, radius, passes);
      for (let i = 0; i < values.length; i++) assert.ok(Object.is(values[i], expected[i]), `size ${size}, ${channels} ch, r ${radius}: value ${i} ${values[i]} vs ${expected[i]}`);
      assert.ok(!values.some((v) => Object.is(v, -0)), 'no -0 survives a blur');
    }
    // The maps do have +0 texels that stay +0 (what the skips leave alone) and -0s (what they must not).
    assert.ok(skippable > 1000, `${skippable} +0 texels`);
    assert.ok(negativeZeros > 20, `${negativeZeros} -0 texels`);
  });

  it('box blur skips the +0 rows above a band and copies the rows below it, bit for bit', () => {
    // A band of values over 24 decades (past float64 sums' 53 bits) between rows of +0 (the column pass's skipped top and
    // copied bottom): the sums' rounding residues below the band must come out as the arithmetic gives them.
    const random = rng(29);
    let residues = 0;
    for (const [size, channels, radius, passes] of [[48, 1, 3, 2], [40, 2, 5, 3], [36, 3, 2, 2], [32, 4, 4, 2], [29, 1, 30, 2], [64, 2, 6, 3]]) {
      const values = new Float32Array(size * size * channels);
      const top = Math.floor(0.3 * size), bottom = Math.floor(0.55 * size);
      for (let i = top * size * channels; i < bottom * size * channels; i++) if (random() < 0.5) values[i] = random() * 10 ** Math.floor(24 * random() - 20);
      const expected = sequentialBoxBlur(values, size, channels, radius, passes);
      residues += expected.subarray(Math.min(size, bottom + passes * (radius + 1)) * size * channels).filter((v) => v !== 0).length;
      boxBlur(values, size, channels, radius, passes);
      for (let i = 0; i < values.length; i++) assert.ok(Object.is(values[i], expected[i]), `size ${size}, ${channels} ch, r ${radius}: value ${i} ${values[i]} vs ${expected[i]}`);
    }
    // Rows far below the band do hold residues (what the copies must reproduce).
    assert.ok(residues > 100, `${residues} residues`);
  });

  it('box blur with readEnd gives the same values, bit for bit, in the rows and columns read', () => {
    const random = rng(37);
    let compared = 0;
    for (const [size, channels, radius, passes, rows, columns] of [
      [48, 1, 3, 2, 30, 20], [40, 2, 5, 3, 25, 33], [36, 3, 2, 2, 36, 10], [32, 4, 4, 2, 1, 32], [29, 1, 30, 2, 12, 12], [64, 2, 6, 3, 0, 64], [21, 4, 3, 1, 21, 21],
    ]) {
      // Values over 24 decades in a block (residues below and right of it), +0 round it.
      const values = new Float32Array(size * size * channels);
      for (let y = Math.floor(0.2 * size); y < Math.floor(0.6 * size); y++) {
        for (let i = (y * size + Math.floor(0.3 * size)) * channels; i < (y * size + Math.floor(0.7 * size)) * channels; i++) {
          if (random() < 0.5) values[i] = random() * 10 ** Math.floor(24 * random() - 20);
        }
      }
      const expected = Float32Array.from(values);
      boxBlur(expected, size, channels, radius, passes);
      boxBlur(values, size, channels, radius, passes, { rows, columns });
      for (let y = 0; y < rows; y++) for (let i = y * size * channels; i < (y * size + columns) * channels; i++) {
        assert.ok(Object.is(values[i], expected[i]), `size ${size}, ${channels} ch, r ${radius}: value ${i} ${values[i]} vs ${expected[i]}`);
        compared++;
      }
    }
    assert.equal(compared, 30 * 20 + 25 * 33 * 2 + 36 * 10 * 3 + 32 * 4 + 12 * 12 + 21 * 21 * 4);
  });

  it('a bilinear sample outside the non-zero bounds reads only +0: weight 0, value +0', () => {
    const random = rng(31), size = 40;
    let outside = 0, inside = 0;
    for (const [x0, y0, w, h] of [[10, 12, 5, 3], [0, 0, 1, 1], [39, 20, 1, 20], [3, 30, 30, 1]]) {
      // A block of values (−0 among them) inside +0.
      const map = new Float32Array(size * size);
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) map[y * size + x] = random() < 0.2 ? -0 : random();
      const bounds = new Int32Array(4);
      nonZeroBounds(map, size, bounds);
      assert.deepEqual([...bounds], [x0, x0 + w - 1, y0, y0 + h - 1]);
      const sample = new Float32Array(1);
      for (let k = 0; k < 4000; k++) {
        const x = -3 + (size + 6) * random(), y = -3 + (size + 6) * random();
        // Points on texel rows and columns too (fractions 0), where the next texel has weight 0.
        const [px, py] = k % 4 === 0 ? [Math.round(x), Math.round(y)] : [x, y];
        if (!bilinearOutside(bounds, size, px, py)) { inside++; continue; }
        outside++;
        assert.equal(sampleWeighted(map, 1, map, size, px, py, sample), 0, `(${px}, ${py})`);
        assert.ok(Object.is(sampleBilinear(map, size, size, px, py), 0), `(${px}, ${py})`);
      }
    }
    const empty = new Int32Array(4);
    nonZeroBounds(new Float32Array(size * size), size, empty);
    assert.ok(bilinearOutside(empty, size, 0, 0) && bilinearOutside(empty, size, size - 1, size - 1), 'an all +0 map: every sample outside');
    assert.ok(outside > 10000 && inside > 300, `${outside} outside, ${inside} inside`);
  });

  it('box blur treats channels independently, bit for bit', () => {
    const random = rng(3), size = 64;
    const interleaved = Float32Array.from({ length: size * size * 2 }, () => random());
    const first = Float32Array.from({ length: size * size }, (_, p) => interleaved[2 * p]);
    boxBlur(interleaved, size, 2, 5, 2);
    boxBlur(first, size, 1, 5, 2);
    for (let p = 0; p < size * size; p++) assert.ok(Object.is(first[p], interleaved[2 * p]), `texel ${p}`);
  });

  it('the masked min filter is a row then a column minimum over valid texels', () => {
    // Windows narrower than the map, as wide, wider (the column pass keeps two blocks of minima at a time).
    const random = rng(11);
    let checked = 0;
    for (const [size, radius] of [[37, 3], [64, 8], [20, 1], [5, 3], [17, 8]]) checked += checkMaskedMinFilter(random, size, radius);
    assert.equal(checked, 37 * 37 + 64 * 64 + 20 * 20 + 5 * 5 + 17 * 17);
  });

  it('the masked min filter skips only what is +0 and stays +0 (bands, patches and single texels of values, a −0)', () => {
    // Mostly +0, as a completion's confidence: rows and columns of +0 that the zero skips leave, next to values they must not.
    const random = rng(12);
    let checked = 0;
    for (const [size, radius] of [[64, 3], [64, 8], [40, 1], [9, 4], [70, 8]]) {
      const band = Math.floor(size / 3), patch = Math.floor(size / 2);
      checked += checkMaskedMinFilter(random, size, radius, (x, y) => {
        if (x === 3 && y === size - 2) return -0;
        const inBand = y >= band && y < band + 4 && x > 2;
        const inPatch = y >= patch && y < patch + 7 && x >= patch - 5 && x < patch;
        const single = y === 1 && x === size - 1;
        return inBand || inPatch || single ? 0.1 + random() : 0;
      });
    }
    assert.equal(checked, 64 * 64 * 2 + 40 * 40 + 9 * 9 + 70 * 70);
  });

  /** maskedMinFilter on a map (random values unless `value` says) with a fifth of its texels invalid, against its definition, bit for bit; returns the texels checked. */
  function checkMaskedMinFilter(random: () => number, size: number, radius: number, value: (x: number, y: number) => number = () => random()): number {
    const valid = Int32Array.from({ length: size * size }, (_, p) => (random() < 0.8 ? p : -1));
    const values = Float32Array.from({ length: size * size }, (_, p) => value(p % size, Math.floor(p / size)));
    const filtered = Float32Array.from(values);
    maskedMinFilter(filtered, valid, size, radius);
    let checked = 0;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const p = y * size + x;
      let expected = values[p];
      if (valid[p] >= 0) {
        // Separable: each valid texel of the column window brings its own row window's minimum
        // (an invalid one brings nothing, not even its valid row neighbours).
        expected = Infinity;
        for (let yy = Math.max(0, y - radius); yy <= Math.min(size - 1, y + radius); yy++) {
          if (valid[yy * size + x] < 0) continue;
          for (let xx = Math.max(0, x - radius); xx <= Math.min(size - 1, x + radius); xx++) if (valid[yy * size + xx] >= 0) expected = Math.min(expected, values[yy * size + xx]);
        }
      }
      assert.ok(Object.is(filtered[p], expected), `size ${size}, radius ${radius}: texel (${x}, ${y}): ${filtered[p]} against ${expected}`);
      checked++;
    }
    return checked;
  }

  it('push-pull in place gives the fresh result and keeps fully confident texels', () => {
    const random = rng(5), prior = [0.5, 0.4, 0.3];
    for (const size of [1, 2, 9, 64]) {
      const colour = Float32Array.from({ length: size * size * 3 }, () => random());
      const confidence = Float32Array.from({ length: size * size }, () => (random() < 0.3 ? 0 : random() < 0.5 ? 1 : random()));
      const fresh = pushPullFill(colour, confidence, size, prior);
      const inPlace = Float32Array.from(colour);
      assert.equal(pushPullFill(inPlace, confidence, size, prior, undefined, inPlace), inPlace);
      assert.deepEqual(inPlace, fresh);
      for (let p = 0; p < size * size; p++) {
        for (let c = 0; c < 3; c++) {
          assert.ok(Number.isFinite(fresh[3 * p + c]));
          if (confidence[p] === 1) assert.equal(fresh[3 * p + c], colour[3 * p + c]);
        }
      }
    }
  });

  it('per-texel shading equals the SH shading basis times the light, bit for bit', () => {
    const random = rng(13), light = Float32Array.from({ length: 3 * SH_COUNT }, () => random() * 2 - 0.5);
    const count = 500, normals = new Float32Array(count * 3);
    for (let i = 0; i < count; i++) {
      const z = 2 * random() - 1, a = 2 * Math.PI * random(), r = Math.sqrt(1 - z * z);
      normals.set([r * Math.cos(a), r * Math.sin(a), z], 3 * i);
    }
    const shading = evaluateShading(normals, light), basis = new Float64Array(SH_COUNT), one = new Float32Array(3);
    const gamma = Float64Array.from(light);
    for (let i = 0; i < count; i++) {
      shShadingBasis(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2], basis);
      shadeNormal(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2], gamma, one, 0);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < SH_COUNT; k++) s += light[c * SH_COUNT + k] * basis[k];
        assert.ok(Object.is(Math.fround(s), shading[3 * i + c]) && Object.is(Math.fround(s), one[c]), `normal ${i}, channel ${c}`);
      }
    }
  });

  it('the island coverage blur is the blurred island indicator, computed once per raster and radius', async () => {
    const raster = getUvRaster(await loadDefaultHead(), 128);
    const coverage = blurredIslandCoverage(raster, 2);
    const indicator = Float32Array.from(raster.slot, (slot) => (slot >= 0 ? 1 : 0));
    boxBlur(indicator, 128, 1, 2, 2);
    assert.deepEqual(coverage, indicator);
    assert.equal(blurredIslandCoverage(raster, 2), coverage);
    assert.notEqual(blurredIslandCoverage(raster, 1), coverage);
  });
});
