/**
 * The detail fusion's memory-saving forms against the ones they replace, bit for bit: the value
 * detail applied to an interleaved coarse map with its HSV computed texel by texel (fuseDetailInUv)
 * against planesToHsv + valueDetailAt, and upsamplePlanes into interleaved texels against its
 * planar output.
 */
import assert from 'node:assert/strict';
import { planesToHsv, valueDetailAt, valueDetailAtInterleaved } from '../../src/albedo/detail.js';
import { upsamplePlanes } from '../../src/albedo/fit-albedo.js';
import { largestLinearToSrgb, linearToSrgb } from '../../src/image/srgb.js';
import { seededRandom } from '../helpers/random.js';

describe('albedo: the detail fusion without stored HSV or planar copies', () => {
  it('valueDetailAtInterleaved equals planesToHsv + valueDetailAt, zero detail and clamped values included', () => {
    const random = seededRandom(7), D = 4096;
    const planes = new Float32Array(3 * D), interleaved = new Float32Array(3 * D), detail = new Float32Array(D);
    for (let t = 0; t < D; t++) {
      // Some grey texels (no hue, no saturation) and some clipped channels.
      const grey = random();
      for (let c = 0; c < 3; c++) {
        const value = t % 17 === 0 ? grey : random() < 0.05 ? 1 : random();
        planes[c * D + t] = value;
        interleaved[3 * t + c] = value;
      }
      detail[t] = t % 5 === 0 ? 0 : (random() - 0.5) * 0.4;
    }
    const hsv = planesToHsv(planes, D);
    const expected = new Float32Array(3), actual = new Float32Array(3), scratch = new Float32Array(3);
    let differing = 0, changed = 0;
    for (let t = 0; t < D; t++) {
      valueDetailAt(hsv, detail, D, planes, t, expected);
      valueDetailAtInterleaved(interleaved, t, detail[t], scratch, actual);
      for (let c = 0; c < 3; c++) {
        if (!Object.is(expected[c], actual[c])) differing++;
        if (expected[c] !== interleaved[3 * t + c]) changed++;
      }
    }
    assert.equal(differing, 0);
    assert.ok(changed > D, `the detail changed only ${changed} values`);
  });

  it('upsamplePlanes into interleaved texels holds its planar output, value for value', () => {
    const random = seededRandom(11), from = 16, to = 64, channels = 3;
    const planes = Float32Array.from({ length: channels * from * from }, () => random());
    const planar = upsamplePlanes(planes, from, to, channels);
    const interleaved = upsamplePlanes(planes, from, to, channels, true);
    let differing = 0;
    for (let t = 0; t < to * to; t++) for (let c = 0; c < channels; c++) if (!Object.is(planar[c * to * to + t], interleaved[channels * t + c])) differing++;
    assert.equal(differing, 0);
  });

  it('largestLinearToSrgb is the largest linearToSrgb of three float32 channels, bit for bit', () => {
    const random = seededRandom(5);
    // The toe meets the power curve at 0.0031308: channels on either side of it, and odd values.
    const special = [0, -0, NaN, 1, 1.5, -0.2, 0.0031308, Math.fround(0.0031308), 0.00313081, 0.0031307];
    const channel = (): number => {
      const k = random();
      if (k < 0.15) return Math.fround(special[Math.floor(random() * special.length)]);
      if (k < 0.4) return Math.fround(0.0031308 * (1 + (random() - 0.5) * 1e-4));
      return Math.fround(random());
    };
    let differing = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = channel(), g = channel(), b = channel();
      if (!Object.is(largestLinearToSrgb(r, g, b), Math.max(linearToSrgb(r), linearToSrgb(g), linearToSrgb(b)))) differing++;
    }
    assert.equal(differing, 0);
  });
});
