/**
 * kthSmallest (quickselect) against the sort it replaces in the hair's tone quantiles: the same
 * value for every k, on arrays with many ties (tones take 256 values), sorted, reversed and flat.
 */
import assert from 'node:assert/strict';
import { kthSmallest } from '../../src/math/kth-smallest.js';

describe('kthSmallest', () => {
  it('gives what a sorted copy holds at k, for every k', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const cases: Float32Array[] = [
      Float32Array.of(0.5),
      Float32Array.of(3, 1),
      Float32Array.from({ length: 1000 }, () => random()),
      // 256 distinct values, as the strand tones have.
      Float32Array.from({ length: 3000 }, () => Math.sqrt(Math.floor(256 * random()) / 255)),
      Float32Array.from({ length: 500 }, (_, i) => i / 7),
      Float32Array.from({ length: 500 }, (_, i) => -i),
      new Float32Array(64).fill(0.25),
    ];
    let checked = 0;
    for (const values of cases) {
      const sorted = Float32Array.from(values).sort();
      for (let k = 0; k < values.length; k++) assert.equal(kthSmallest(values, k), sorted[k], `k ${k} of ${values.length}`);
      checked += values.length;
    }
    assert.equal(checked, 5067);
  });

  it('leaves its input as it was', () => {
    const values = Float32Array.of(5, 2, 9, 2, 7);
    kthSmallest(values, 2);
    assert.deepEqual(values, Float32Array.of(5, 2, 9, 2, 7));
  });
});
