import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runImportCommand } from '../../src/cli/import-command.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { readPack, readPackHeader } from '../../src/modelpack/format.js';
import { folderSource } from '../../src/modelpack/importers/folder-source.js';
import { importObjSet } from '../../src/modelpack/importers/obj-set.js';
import { hasSharedData, sharedPath } from '../helpers/shared-data.js';

/** A 10 x 10 grid "face" in millimetres with quads and UVs, plus two blendshapes. */
function writeObjSet(folder: string): void {
  const side = 10;
  const lines = (offset: (i: number, j: number) => number) => {
    const out: string[] = [];
    for (let j = 0; j < side; j++) for (let i = 0; i < side; i++) out.push(`v ${(i - 4.5) * 16} ${(4.5 - j) * 18} ${offset(i, j)}`);
    for (let j = 0; j < side; j++) for (let i = 0; i < side; i++) out.push(`vt ${i / (side - 1)} ${1 - j / (side - 1)}`);
    for (let j = 0; j + 1 < side; j++) for (let i = 0; i + 1 < side; i++) {
      const a = j * side + i + 1;
      out.push(`f ${a}/${a} ${a + side}/${a + side} ${a + side + 1}/${a + side + 1} ${a + 1}/${a + 1}`);
    }
    return out.join('\n') + '\n';
  };
  writeFileSync(path.join(folder, 'neutral.obj'), lines(() => 0));
  writeFileSync(path.join(folder, 'jawOpen.obj'), lines((i, j) => (j > 6 ? -2 : 0)));
  writeFileSync(path.join(folder, 'smile.obj'), lines((i) => i * 0.5));
  // Eye corners 36 and 45 about 9.6 grid units * 16 mm apart.
  const landmarks = Array.from({ length: 68 }, (_, i) => (i * 7) % 100);
  landmarks[36] = 30; landmarks[45] = 36;
  writeFileSync(path.join(folder, 'landmarks68.json'), JSON.stringify(landmarks));
}

describe('modelpack OBJ-set importer and the import command', () => {
  let folder: string;
  before(() => { folder = mkdtempSync(path.join(os.tmpdir(), 'pavpack-')); writeObjSet(folder); });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('turns a neutral OBJ and named blendshapes into an expression basis (mm -> m)', async () => {
    const model = await importObjSet(folderSource(folder));
    assert.deepEqual(model.expressionNames, ['jawOpen', 'smile']);
    assert.equal(model.indices.length / 3, 2 * 81);
    const n3 = model.vertexCount * 3;
    // Vertex 95 (row 9, col 5): jawOpen moves z by -2 mm, smile by 2.5 mm.
    assert.ok(Math.abs(model.expressionBasis[95 * 3 + 2] + 0.002) < 1e-7);
    assert.ok(Math.abs(model.expressionBasis[n3 + 95 * 3 + 2] - 0.0025) < 1e-7);
    assert.ok(Math.abs(model.positions[0] + 0.072) < 1e-7, 'millimetres detected');
    console.log(`    OBJ set: ${model.vertexCount} vertices, ${model.expressionNames.length} blendshapes; ${model.provenance}`);
  });

  it('writes a pack with --fp16 and --identity-modes, never over an input', async function () {
    const out = path.join(folder, 'set.pavpack');
    assert.equal(await runImportCommand(['obj-set', folder, '-o', out, '--fp16']), 0);
    const header = readPackHeader(new Uint8Array(readFileSync(out)));
    assert.equal(header.basisPrecision, 'fp16');
    assert.deepEqual(header.expressionNames, ['jawOpen', 'smile']);
    assert.ok(!existsSync(`${out}.${process.pid}.tmp`));
    await assert.rejects(runImportCommand(['obj-set', folder, '-o', out]), (e: unknown) => e instanceof PhotoAvatarError && /already exists/.test(e.message));
    const neutral = path.join(folder, 'neutral.obj');
    await assert.rejects(runImportCommand(['hifi3dpp', neutral, '-o', neutral, '--force']), (e: unknown) => e instanceof PhotoAvatarError && /one of the inputs/.test(e.message));
    await assert.rejects(runImportCommand(['fbx', neutral, '-o', out]), (e: unknown) => e instanceof PhotoAvatarError && /Unknown model kind/.test(e.message));
    await assert.rejects(runImportCommand(['hifi3dpp', neutral, '-o', path.join(folder, 'x.pavpack')]), (e: unknown) => e instanceof PhotoAvatarError && e.code === 'CORRUPT_INPUT_FILE');

    if (!hasSharedData) return;
    const hifi = path.join(folder, 'hifi.pavpack');
    assert.equal(await runImportCommand(['hifi3dpp', sharedPath('hifi3d', 'hifi3dpp_model_info.fixture32z.mat'), '-o', hifi, '--identity-modes', '3']), 0);
    const model = readPack(new Uint8Array(readFileSync(hifi)));
    assert.equal(model.identityCount, 3);
    assert.equal(model.id, 'hifi3dpp');
  });
});
