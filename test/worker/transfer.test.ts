/**
 * copyForTransfer (src/worker/transfer.ts): the avatar worker's replies are copied into buffers it
 * gives away, so transferring them never detaches the worker's own (cached) arrays.
 */
import assert from 'node:assert/strict';
import { copyForTransfer } from '../../src/worker/transfer.js';

describe('worker/copyForTransfer', () => {
  it('copies typed arrays into fresh exact buffers, lists each once, and leaves the source usable after the transfer', () => {
    const shared = new Float32Array(16).map((_, i) => i);
    const source = {
      name: 'avatar',
      count: 3,
      view: shared.subarray(4, 8),
      image: { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]) },
      list: [new Uint32Array([9, 10]), null, 'x'],
      camera: { rotation: new Float64Array([1, 0, 0]) },
    };
    const transfer: ArrayBuffer[] = [];
    const copy = copyForTransfer(source, transfer);
    assert.equal(transfer.length, 4);
    assert.equal(new Set(transfer).size, 4);
    assert.deepEqual(Array.from(copy.view), [4, 5, 6, 7]);
    assert.equal(copy.view.buffer.byteLength, 16, 'the view became an exact buffer, not the 64-byte one it came from');
    assert.ok(copy.image.data instanceof Uint8ClampedArray && copy.camera.rotation instanceof Float64Array);

    const received = structuredClone(copy, { transfer });
    assert.equal(copy.view.length, 0, 'the copies were transferred (detached)');
    assert.deepEqual(Array.from(received.view), [4, 5, 6, 7]);
    assert.deepEqual(Array.from(received.list[0] as Uint32Array), [9, 10]);
    assert.deepEqual([received.name, received.count, received.list[1], received.list[2]], ['avatar', 3, null, 'x']);
    assert.equal(shared.length, 16, 'the source array is still attached');
    assert.equal(source.image.data[7], 8);
  });
});
