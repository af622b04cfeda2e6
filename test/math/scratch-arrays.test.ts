/**
 * The scratch pool behind the albedo stage's texture-sized temporaries: a taken array is zeroed
 * whatever it held, a given-back one is handed out again (once), and what must not be shared
 * (views into a larger buffer, small arrays) never enters the pool.
 */
import assert from 'node:assert/strict';
import { giveBackFloat32, pooledFloat32Bytes, setScratchPoolLimit, takeFloat32, takeFloat32Copy } from '../../src/math/scratch-arrays.js';

describe('scratch Float32Arrays', () => {
  const length = 1 << 17; // 512 KiB: above the pool's lower bound

  it('hands a given-back array out again, zeroed, and to one taker only', () => {
    const first = takeFloat32(length);
    first.fill(3);
    const before = pooledFloat32Bytes();
    giveBackFloat32(first, first); // twice by mistake: pooled once
    assert.equal(pooledFloat32Bytes() - before, first.byteLength);
    const again = takeFloat32(length), other = takeFloat32(length);
    assert.equal(again, first);
    assert.notEqual(other, first);
    assert.ok(again.every((v) => v === 0));
    assert.equal(pooledFloat32Bytes(), before);
  });

  it('copies into a taken array, and keeps views and small arrays out of the pool', () => {
    const source = Float32Array.from({ length }, (_, i) => i);
    const copy = takeFloat32Copy(source);
    assert.notEqual(copy, source);
    assert.deepEqual(copy.subarray(0, 4), Float32Array.of(0, 1, 2, 3));
    assert.equal(copy[length - 1], length - 1);
    const before = pooledFloat32Bytes();
    giveBackFloat32(new Float32Array(2 * length).subarray(length), new Float32Array(16), undefined);
    assert.equal(pooledFloat32Bytes(), before);
  });

  it('holds nothing with a limit of 0 (the CLI), and pools again once the limit is raised', () => {
    const array = takeFloat32(length);
    setScratchPoolLimit(0);
    assert.equal(pooledFloat32Bytes(), 0);
    giveBackFloat32(array);
    assert.equal(pooledFloat32Bytes(), 0);
    assert.notEqual(takeFloat32(length), array);
    setScratchPoolLimit(160 * 2 ** 20);
    giveBackFloat32(array);
    assert.equal(pooledFloat32Bytes(), array.byteLength);
    assert.equal(takeFloat32(length), array);
  });
});
