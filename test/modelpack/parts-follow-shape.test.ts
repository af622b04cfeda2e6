import assert from 'node:assert/strict';
import { loadDefaultHead } from '../../src/pipeline.js';
import { decodeShape, partsFollowingShape, type HeadModel } from '../../src/modelpack/head-model.js';

describe('modelpack/partsFollowingShape', () => {
  let model: HeadModel;
  before(async () => {
    model = await loadDefaultHead();
  });

  it('moves eyeballs with the eye region when identity changes', () => {
    // Translate the whole head: parts must follow exactly.
    const shifted = Float32Array.from(model.positions, (v, i) => v + (i % 3 === 1 ? 0.01 : 0));
    for (const part of partsFollowingShape(model, shifted)) {
      const original = model.parts.find((p) => p.name === part.name)!;
      assert.ok(Math.abs(part.pivot[1] - original.pivot[1] - 0.01) < 1e-6, `${part.name} pivot follows a uniform shift`);
    }
    // A strong identity: eyeballs must stay inside their sockets (near the displaced lid vertices).
    const identity = new Float32Array(model.identityCount).map((_, k) => 2 * model.identityStd[k] * (k % 2 ? 1 : -1));
    const shaped = decodeShape(model, identity, null);
    const parts = partsFollowingShape(model, shaped);
    let worst = 0;
    for (const part of parts) {
      const original = model.parts.find((p) => p.name === part.name)!;
      const moved = Math.hypot(part.pivot[0] - original.pivot[0], part.pivot[1] - original.pivot[1], part.pivot[2] - original.pivot[2]);
      worst = Math.max(worst, moved);
    }
    console.log(`    2-sigma identity moves eye pivots by up to ${(worst * 1000).toFixed(2)} mm`);
    assert.ok(worst > 1e-4, 'eyes moved with the identity');
  });
});
