/**
 * A pack that carries its own UVAPM (import --uvapm, pack add-albedo): stored bit-exact, refused
 * when built for another UV layout, and used by create by default (off with albedoModel: false).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../../src/image/decode.js';
import { importHifi3dpp } from '../../../src/modelpack/importers/hifi3dpp.js';
import { readPack, writePack } from '../../../src/modelpack/format.js';
import { withAlbedoModel, uvapmLayoutOverlap } from '../../../src/albedo/build/pack-albedo.js';
import { leaveOneOutUvapm, loadLeaveOneOutSource } from '../../../src/albedo/build/leave-one-out.js';
import { writeUvapm } from '../../../src/albedo/uvapm-format.js';
import { uvEvaluationRegions } from '../../../src/metrics/albedo-truth.js';
import { createAvatarData } from '../../../src/pipeline.js';
import { requireSharedData, sharedPath } from '../../helpers/shared-data.js';

describe('a model pack with its own UV albedo model', function () {
  requireSharedData(this, 'hifi3d', 'uv_maps');
  requireSharedData(this, 'hifi3d', 'hifi3dpp_model_info.fixture32z.mat');
  this.timeout(180000);

  it('round-trips through the pack, is checked against the UV layout, and turns stage 2 on by default', async () => {
    const head = importHifi3dpp(readFileSync(sharedPath('hifi3d', 'hifi3dpp_model_info.fixture32z.mat')));
    const size = 32, regions = uvEvaluationRegions(head, size);
    const source = await loadLeaveOneOutSource(sharedPath('hifi3d', 'uv_maps'), size, regions.head, regions.face);
    const uvapm = await leaveOneOutUvapm(source, '00016');
    assert.ok(uvapmLayoutOverlap(head, uvapm) > 0.99);
    const bytes = writeUvapm(uvapm);
    const pack = readPack(writePack(withAlbedoModel(head, bytes)));
    assert.deepEqual(pack.albedoModel, bytes);
    assert.equal(readPack(writePack(head)).albedoModel, undefined);

    // The same model with its mask moved off the layout (the top-left corner, where no triangle lies) is refused.
    const corner = new Uint8Array(size * size);
    let placed = 0;
    for (let t = 0; t < corner.length && placed < 40; t++) if (!regions.head[t]) { corner[t] = 1; placed++; }
    assert.throws(() => withAlbedoModel(head, writeUvapm({ ...uvapm, mask: corner })), /does not match/);

    const image = decodeImage(readFileSync(sharedPath('hifi3d', 'uv_photos', '00016.png'))).image;
    const on = await createAvatarData(image, { model: pack, textureSize: 256, backend: 'wasm' });
    const off = await createAvatarData(image, { model: pack, textureSize: 256, backend: 'wasm', albedoModel: false });
    assert.equal(on.albedoCoefficients?.length, 3 * uvapm.componentCount);
    assert.equal(off.albedoCoefficients, undefined);
  });
});
