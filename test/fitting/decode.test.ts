/** The onnxruntime full-mesh decode graph against the TS reference decodeShape(). */
import assert from 'node:assert/strict';
import { MeshDecoder } from '../../src/fitting/decode-graph.js';
import { decodeShape } from '../../src/modelpack/head-model.js';
import { makeSyntheticHead, rng, gaussian } from './synthetic-head.js';

describe('fitting: decodeMesh graph', () => {
  it('equals decodeShape within 1e-5', async () => {
    const model = makeSyntheticHead({ identityCount: 30, expressionCount: 12 });
    const decoder = await MeshDecoder.create(model, { backend: 'wasm' });
    const random = rng(11);
    let worst = 0;
    for (let trial = 0; trial < 3; trial++) {
      const id = Float32Array.from({ length: model.identityCount }, () => 2 * gaussian(random));
      const ex = Float32Array.from({ length: model.expressionNames.length }, () => random());
      const cases: Array<[Float32Array | null, Float32Array | null]> = [[id, ex], [id, null], [null, ex]];
      for (const [a, b] of cases) {
        const fromGraph = await decoder.decodeMesh(a, b);
        const reference = decodeShape(model, a, b);
        assert.equal(fromGraph.length, reference.length);
        for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(fromGraph[i] - reference[i]));
      }
    }
    console.log(`      decodeMesh vs decodeShape: max abs difference ${worst.toExponential(2)} m over ${model.vertexCount} vertices`);
    assert.ok(worst < 1e-5);
    await decoder.release();
  });
});
