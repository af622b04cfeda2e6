/**
 * bilinearThresholdCells decides a bilinear read's side of a threshold in (127, 128) from the four
 * texels it blends wherever they agree: the same answer as the read itself, everywhere, edges and
 * coordinates outside [0, 1] included (the hair's alpha test reads through it).
 */
import assert from 'node:assert/strict';
import { ALL_ABOVE, ALL_BELOW, bilinearCellAt, bilinearChannel, bilinearThresholdCells } from '../../src/render/texel-sampling.js';
import { seededRandom } from '../helpers/random.js';

describe('texel sampling: bilinear threshold cells', () => {
  it('agree with the bilinear read against 127.5 wherever they decide', () => {
    const random = seededRandom(7), width = 37, height = 23, stride = 2;
    // Alphas crowded round the threshold, with runs of opaque and clear texels.
    const data = new Uint8Array(width * height * stride);
    for (let p = 0; p < width * height; p++) {
      const r = random();
      data[stride * p + 1] = r < 0.3 ? 255 : r < 0.6 ? 0 : 120 + Math.floor(random() * 16);
    }
    const cells = bilinearThresholdCells(data, width, height, stride, 1);
    let decided = 0;
    for (let k = 0; k < 20000; k++) {
      const u = random() * 1.2 - 0.1, v = random() * 1.2 - 0.1;
      const cell = cells[bilinearCellAt(width, height, u, v)];
      const below = bilinearChannel(data, width, height, stride, 1, u, v) < 127.5;
      if (cell === ALL_BELOW) { assert.equal(below, true, `u ${u} v ${v}`); decided++; }
      if (cell === ALL_ABOVE) { assert.equal(below, false, `u ${u} v ${v}`); decided++; }
    }
    assert.ok(decided > 2000, `${decided} reads decided by their cell`);
  });
});
