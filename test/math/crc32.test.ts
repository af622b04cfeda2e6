/**
 * The slice-by-8 CRC-32 (portableCrc32) and the one the Node entry installs (crc32: zlib's) against
 * the standard's check value, zlib's crc32 and a byte-at-a-time reference, over every length and
 * alignment around the 8-byte blocks and sub-ranges.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
// The Node entry's platform hooks, zlib's CRC-32 among them.
import '../../src/node/asset-files.js';
import { crc32, portableCrc32 } from '../../src/math/crc32.js';
import { seededRandom } from '../helpers/random.js';

/** The textbook bitwise CRC-32 (IEEE, reflected, polynomial 0xedb88320). */
function bitwiseCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const IMPLEMENTATIONS = [['portableCrc32', portableCrc32], ['crc32 (zlib in Node)', crc32]] as const;

for (const [name, crc32] of IMPLEMENTATIONS) describe(name, () => {
  it('gives the standard check values', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    assert.equal(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog')), 0x414fa339);
    assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
    assert.equal(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
  });

  it('equals the bitwise CRC on every length and start around its 8-byte blocks', () => {
    const random = seededRandom(32);
    const bytes = Uint8Array.from({ length: 80 }, () => Math.floor(random() * 256));
    for (let start = 0; start < 17; start++) {
      for (let end = start; end <= bytes.length; end++) {
        assert.equal(crc32(bytes, start, end), bitwiseCrc32(bytes.subarray(start, end)), `bytes ${start}..${end}`);
      }
    }
  });

  it('equals zlib on a megabyte, whole and in unaligned sub-ranges', () => {
    const random = seededRandom(8);
    const bytes = Uint8Array.from({ length: 1 << 20 }, () => Math.floor(random() * 256));
    assert.equal(crc32(bytes), zlib.crc32(bytes));
    for (const [start, end] of [[1, 1000003], [7, 65543], [123457, 1 << 20]]) {
      assert.equal(crc32(bytes, start, end), zlib.crc32(bytes.subarray(start, end)), `bytes ${start}..${end}`);
    }
  });
});
