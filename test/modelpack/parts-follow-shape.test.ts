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

  it('moves the mouth parts together with the lips, not with the jaw joint deep in the head', () => {
    const lm = model.landmarks468!;
    const mouthParts = model.parts.filter((p) => p.material === 'teeth');
    assert.ok(mouthParts.length >= 3);
    let worstBite = 0, worstLip = 0;
    for (const sign of [1, -1]) {
      const identity = new Float32Array(model.identityCount).map((_, k) => sign * 2 * model.identityStd[k] * (k % 2 ? 1 : -1));
      const shaped = decodeShape(model, identity, null);
      const moved = partsFollowingShape(model, shaped).filter((p) => p.material === 'teeth');
      const shifts = moved.map((part, i) => [0, 1, 2].map((a) => part.positions[a] - mouthParts[i].positions[a]));
      // Teeth and tongue move as one (the bite holds) ...
      for (const s of shifts) worstBite = Math.max(worstBite, Math.hypot(...s.map((x, a) => x - shifts[0][a])));
      // ... and with the inner lips (MediaPipe 13 / 14) to within a millimetre.
      const lip = [0, 1, 2].map((a) => (shaped[3 * lm[13] + a] + shaped[3 * lm[14] + a] - model.positions[3 * lm[13] + a] - model.positions[3 * lm[14] + a]) / 2);
      worstLip = Math.max(worstLip, Math.hypot(...lip.map((x, a) => x - shifts[0][a])));
      console.log(`    2-sigma identity (${sign > 0 ? '+' : '-'}): inner lips move ${lip.map((x) => (x * 1000).toFixed(1)).join(' ')} mm, mouth parts ${shifts[0].map((x) => (x * 1000).toFixed(1)).join(' ')} mm`);
    }
    assert.ok(worstBite < 1e-7, `mouth parts moved apart by ${worstBite} m`);
    assert.ok(worstLip < 0.001, `mouth parts ${worstLip} m off the lips' shift`);
  });
});
