import assert from 'node:assert/strict';
import type { HeadModel } from '../../src/modelpack/head-model.js';

/** Every field equal; typed arrays compared bit for bit. */
export function assertModelsEqual(actual: HeadModel, expected: HeadModel): void {
  const bits = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const sameArray = (name: string, a: Float32Array | Uint32Array | undefined, b: Float32Array | Uint32Array | undefined) => {
    if (a === undefined || b === undefined) return assert.equal(a, b, name);
    assert.equal(a.constructor, b.constructor, `${name} type`);
    assert.equal(a.length, b.length, `${name} length`);
    assert.ok(Buffer.compare(bits(a), bits(b)) === 0, `${name} differs`);
  };
  for (const key of ['id', 'name', 'licence', 'provenance', 'vertexCount', 'identityCount'] as const) assert.equal(actual[key], expected[key], key);
  assert.deepEqual(actual.expressionNames, expected.expressionNames);
  for (const key of ['positions', 'uvs', 'indices', 'weldGroup', 'identityBasis', 'identityStd', 'expressionBasis', 'expressionStd',
    'landmarks68', 'jawContour', 'landmarks468', 'mirrorVertex', 'skinWeight'] as const) sameArray(key, actual[key], expected[key]);
  sameArray('jawMarchLines.offsets', actual.jawMarchLines?.offsets, expected.jawMarchLines?.offsets);
  sameArray('jawMarchLines.vertices', actual.jawMarchLines?.vertices, expected.jawMarchLines?.vertices);
  assert.equal(actual.parts.length, expected.parts.length);
  actual.parts.forEach((part, i) => {
    const other = expected.parts[i];
    assert.equal(part.name, other.name); assert.equal(part.material, other.material);
    for (const key of ['positions', 'indices', 'uvs', 'pivot'] as const) sameArray(`parts[${i}].${key}`, part[key], other[key]);
  });
}

