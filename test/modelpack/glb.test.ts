import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ASSET_FILES, loadAsset } from '../../src/assets.js';
import { runImportCommand } from '../../src/cli/import-command.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { writeGlb } from '../../src/export/glb.js';
import { readPack } from '../../src/modelpack/format.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { importGlb } from '../../src/modelpack/importers/glb.js';
import { makeAvatarData, syntheticHeadModel } from '../export/synthetic-avatar.js';
import { fuzz } from './fuzz.js';

/** A GLB of `model` at its mean shape, as the exporter writes it (sparse morph targets, v flipped). */
function glbOf(model: HeadModel): Uint8Array {
  return writeGlb({ ...makeAvatarData(model), neutralVertices: model.positions.slice() }, { morphNormals: false });
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('modelpack GLB importer', () => {
  let head: HeadModel;
  before(async () => { head = readPack(await loadAsset(ASSET_FILES.defaultHead)); });

  it('reads back the default head written by writeGlb: positions, triangles, UVs and morph targets', () => {
    const bytes = glbOf(head);
    const model = importGlb(bytes, { landmarks68: head.landmarks68, source: 'default-head.glb' });
    const uvError = maxAbsDifference(model.uvs, head.uvs);
    const welded = new Set(model.weldGroup).size, headWelded = new Set(head.weldGroup).size;
    console.log(`      ${(bytes.length / 1048576).toFixed(1)} MiB GLB -> ${model.vertexCount} vertices, ${model.expressionNames.length} targets, ` +
      `max UV difference ${uvError.toExponential(1)}, ${welded} welded positions (pack: ${headWelded})`);
    assert.equal(model.vertexCount, head.vertexCount);
    assert.deepEqual(model.positions, head.positions);
    assert.deepEqual(model.indices, head.indices);
    assert.deepEqual(model.expressionNames, head.expressionNames);
    // Equal values; sparse accessors turn untouched -0 deltas into +0.
    assert.equal(model.expressionBasis.length, head.expressionBasis.length);
    assert.equal(maxAbsDifference(model.expressionBasis, head.expressionBasis), 0);
    assert.deepEqual(model.landmarks68, head.landmarks68);
    assert.ok(uvError < 1e-6, `UV difference ${uvError}`);
    assert.ok(welded <= headWelded);
  });

  it('takes landmarks from extras, and fails clearly without any', () => {
    const model = syntheticHeadModel();
    const bytes = glbOf(model);
    assert.throws(() => importGlb(bytes), (error: unknown) => error instanceof PhotoAvatarError && /landmarks68/.test(error.message));
    // Splice landmarks into the JSON chunk's root extras (the chunk is rebuilt, the BIN chunk kept).
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const jsonLength = view.getUint32(12, true);
    const gltf = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength)));
    gltf.extras.landmarks68 = Array.from(model.landmarks68);
    let json = new TextEncoder().encode(JSON.stringify(gltf));
    json = Uint8Array.from([...json, ...new Array((4 - (json.length % 4)) % 4).fill(0x20)]);
    const rest = bytes.subarray(20 + jsonLength);
    const out = new Uint8Array(20 + json.length + rest.length);
    out.set(bytes.subarray(0, 20));
    const outView = new DataView(out.buffer);
    outView.setUint32(8, out.length, true);
    outView.setUint32(12, json.length, true);
    out.set(json, 20);
    out.set(rest, 20 + json.length);
    const imported = importGlb(out);
    assert.deepEqual(imported.landmarks68, model.landmarks68);
    assert.deepEqual(imported.expressionNames, model.expressionNames);
  });

  it('photo-avatar import glb reads a sidecar landmarks68.json and writes a pack', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'pavpack-glb-'));
    try {
      const model = syntheticHeadModel();
      writeFileSync(path.join(folder, 'head.glb'), glbOf(model));
      writeFileSync(path.join(folder, 'head.landmarks68.json'), JSON.stringify(Array.from(model.landmarks68)));
      const out = path.join(folder, 'head.pavpack');
      assert.equal(await runImportCommand(['glb', path.join(folder, 'head.glb'), '-o', out, '--retarget', 'default']), 0);
      const pack = readPack(new Uint8Array(readFileSync(out)));
      assert.deepEqual(pack.positions, model.positions);
      assert.equal(pack.expressionNames.length, 3);
      assert.equal(pack.arkitRetarget?.method, 'landmarks');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('survives random truncations and byte flips with PhotoAvatarError only', () => {
    const model = syntheticHeadModel();
    const bytes = glbOf(model);
    const figures = fuzz(bytes, (damaged) => importGlb(damaged, { landmarks68: model.landmarks68 }), { cases: 150, seed: 5, hotRange: 4096 });
    console.log(`      GLB fuzz: ${figures.cases} cases, ${figures.rejected} rejected, ${figures.accepted} accepted`);
  });
});
