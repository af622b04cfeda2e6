/**
 * The attention FaceMesh's refinement tables (src/inference/face/attention-refinement.ts) against
 * MediaPipe's own: the LandmarksRefinementCalculator options serialised in @mediapipe/face_mesh's
 * WASM graph, read back here from the installed package.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ATTENTION_LEFT_EYE_TO_MESH, ATTENTION_LIPS_TO_MESH, ATTENTION_RIGHT_EYE_TO_MESH } from '../../src/inference/face/attention-refinement.js';
import { LEFT_EYE_LOOP, RIGHT_EYE_LOOP } from '../../src/inference/face/mediapipe-regions.js';

interface Refinement {
  indexes: number[];
  /** z_refinement: 'none', 'copy', or the indexes whose mean z the points take. */
  z: 'none' | 'copy' | number[];
}

function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
}

/** Repeated int32 field 1 (unpacked) of a protobuf message body. */
function indexesOf(bytes: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  for (let at = start; at < end;) {
    assert.equal(bytes[at], 0x08, `unexpected field tag ${bytes[at]} at ${at}`);
    const [value, next] = readVarint(bytes, at + 1);
    out.push(value);
    at = next;
  }
  return out;
}

/**
 * The `refinement` list (field 1, repeated) of the options that begin with the identity mapping of
 * the 468 mesh points: each has indexes_mapping (field 1) and z_refinement (field 2: none = 1,
 * copy = 2, assign_average = 3 with indexes_for_average).
 */
function mediapipeRefinements(wasm: Uint8Array): Refinement[] {
  const identity = Uint8Array.from(Array.from({ length: 64 }, (_, i) => [0x08, i]).flat());
  const found = Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength).indexOf(Buffer.from(identity));
  assert.ok(found > 0, 'no identity mesh mapping in the WASM');
  // Its header: tag 0x0a and a two-byte length just before it.
  let at = found - 3;
  assert.equal(wasm[at], 0x0a);
  const refinements: Refinement[] = [];
  while (wasm[at] === 0x0a) {
    const [length, body] = readVarint(wasm, at + 1);
    const end = body + length;
    let cursor = body;
    while (wasm[cursor] === 0x08) cursor = readVarint(wasm, cursor + 1)[1];
    const indexes = indexesOf(wasm, body, cursor);
    assert.equal(wasm[cursor], 0x12, 'z_refinement expected after the indexes');
    const [zLength, zBody] = readVarint(wasm, cursor + 1);
    const kind = wasm[zBody];
    const [innerLength, inner] = readVarint(wasm, zBody + 1);
    const z = kind === 0x0a ? 'none' : kind === 0x12 ? 'copy' : indexesOf(wasm, inner, inner + innerLength);
    assert.equal(zBody + zLength, end);
    refinements.push({ indexes, z });
    at = end;
  }
  return refinements;
}

describe('attention FaceMesh refinement tables', () => {
  const require = createRequire(import.meta.url);
  const wasmFile = path.join(path.dirname(require.resolve('@mediapipe/face_mesh/package.json')), 'face_mesh_solution_simd_wasm_bin.wasm');

  it("match MediaPipe's LandmarksRefinementCalculator options in @mediapipe/face_mesh", () => {
    const refinements = mediapipeRefinements(new Uint8Array(readFileSync(wasmFile)));
    console.log(`    ${refinements.length} refinements: ${refinements.map((r) => `${r.indexes.length} points (z ${Array.isArray(r.z) ? `mean of ${r.z.length}` : r.z})`).join(', ')}`);
    assert.equal(refinements.length, 6);
    const [mesh, lips, rightEye, leftEye, rightIris, leftIris] = refinements;
    assert.deepEqual(mesh.indexes, Array.from({ length: 468 }, (_, i) => i));
    assert.deepEqual(lips, { indexes: Array.from(ATTENTION_LIPS_TO_MESH), z: 'none' });
    assert.deepEqual(rightEye, { indexes: Array.from(ATTENTION_RIGHT_EYE_TO_MESH), z: 'none' });
    assert.deepEqual(leftEye, { indexes: Array.from(ATTENTION_LEFT_EYE_TO_MESH), z: 'none' });
    // The irises (points 468-477) take the mean depth of their eye's lid loop, as the analyzer does.
    assert.deepEqual(rightIris.indexes, [468, 469, 470, 471, 472]);
    assert.deepEqual(leftIris.indexes, [473, 474, 475, 476, 477]);
    assert.deepEqual([...(rightIris.z as number[])].sort((a, b) => a - b), [...RIGHT_EYE_LOOP].sort((a, b) => a - b));
    assert.deepEqual([...(leftIris.z as number[])].sort((a, b) => a - b), [...LEFT_EYE_LOOP].sort((a, b) => a - b));
  });
});
