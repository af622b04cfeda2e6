import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readPack, writePack } from '../../src/modelpack/format.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { folderSource } from '../../src/modelpack/importers/folder-source.js';
import { importIct } from '../../src/modelpack/importers/ict.js';
import { parseObj } from '../../src/modelpack/importers/obj.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { assertModelsEqual } from './assert-model.js';

describe('modelpack ICT-FaceKit importer', function () {
  requireSharedData(this, 'ict', 'FaceXModel', 'generic_neutral_mesh.obj');
  let model: HeadModel;
  const folder = sharedPath('ict', 'FaceXModel');

  before(async () => {
    model = await importIct(folderSource(folder));
  });

  it('builds the head, parts, bases and landmarks in metres', () => {
    const jawOpen = model.expressionNames.indexOf('jawOpen');
    console.log(`    ${model.vertexCount} head vertices, ${model.indices.length / 3} triangles, ${model.identityCount} identity modes, ${model.expressionNames.length} expressions, parts ${model.parts.map((p) => `${p.name}:${p.positions.length / 3}`).join(' ')}`);
    assert.equal(model.identityCount, 10);
    assert.equal(model.expressionNames.length, 53);
    assert.ok(jawOpen >= 0);
    assert.deepEqual(model.parts.map((p) => p.name), ['eyeLeft', 'eyeRight', 'teeth']);
    assert.ok(model.parts[0].pivot[0] > 0.02 && model.parts[1].pivot[0] < -0.02, 'subject-left eye at +X');
    assert.match(model.licence, /^MIT\n\nMIT License\n\nCopyright \(c\) 2020 USC Institute for Creative Technologies/);
    // Basis = (file - neutral) in metres, checked at the chin landmark against the OBJ files directly.
    const neutral = parseObj(readFileSync(`${folder}/generic_neutral_mesh.obj`), { positionsOnly: true }).positions;
    const open = parseObj(readFileSync(`${folder}/jawOpen.obj`), { positionsOnly: true }).positions;
    const landmarkSource = (JSON.parse(readFileSync(`${folder}/vertex_indices.json`, 'utf8')) as { idx_to_landmark_verts: number[] }).idx_to_landmark_verts;
    const chin = model.landmarks68[8], chinSource = landmarkSource[8];
    for (let k = 0; k < 3; k++) {
      assert.equal(model.positions[3 * chin + k], Math.fround(neutral[3 * chinSource + k] * 0.01));
      const expected = (open[3 * chinSource + k] - neutral[3 * chinSource + k]) * 0.01;
      assert.ok(Math.abs(model.expressionBasis[jawOpen * model.vertexCount * 3 + 3 * chin + k] - expected) < 1e-7);
    }
    const eyes = Math.hypot(...[0, 1, 2].map((k) => model.positions[3 * model.landmarks68[36] + k] - model.positions[3 * model.landmarks68[45] + k]));
    const drop = -model.expressionBasis[jawOpen * model.vertexCount * 3 + 3 * chin + 1];
    console.log(`    outer eye corners ${(eyes * 100).toFixed(2)} cm; jawOpen lowers the chin by ${(drop * 100).toFixed(2)} cm; jaw contour ${model.jawContour.length} vertices`);
    assert.ok(eyes > 0.08 && eyes < 0.11 && drop > 0.005);
  });

  it('round-trips bit-exact through a pack (fp32) and reports the fp16 size', async () => {
    const bytes = writePack(model);
    assertModelsEqual(readPack(bytes), model);
    const half = writePack(model, { precision: 'fp16' });
    console.log(`    ICT pack: fp32 ${(bytes.length / 1048576).toFixed(2)} MiB, fp16 ${(half.length / 1048576).toFixed(2)} MiB`);
    const noParts = await importIct(folderSource(folder), { eyes: 'drop', teeth: 'drop', maxIdentityModes: 2, expressions: ['jawOpen'] });
    assert.equal(noParts.parts.length, 0);
    assert.equal(noParts.identityCount, 2);
    assert.deepEqual(noParts.expressionNames, ['jawOpen']);
    assert.deepEqual(noParts.positions, model.positions);
  });
});
