/**
 * .avatar files with a valid checksum but absurd contents (the examples: empty landmark
 * arrays, a rotation of 1e308, identity coefficients of 1e30) are refused by range checks, while
 * the avatar the real pipeline makes from a real photo still loads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readAvatarFile, writeAvatarFile } from '../../src/avatar-file/format.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { decodeImage } from '../../src/image/decode.js';
import { createAvatarData, loadDefaultHead } from '../../src/pipeline.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { richAvatarData, withHeader } from '../avatar-file/fixtures.js';
import { syntheticAlbedo } from '../export/synthetic-avatar.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';

const floats = (values: number[]) => btoa(String.fromCharCode(...new Uint8Array(Float32Array.from(values).buffer)));

describe('hostile: .avatar contents are range-checked', function () {
  this.timeout(120_000);
  let model: HeadModel;
  let file: Uint8Array;
  const resolve = async () => model;
  before(async () => {
    model = await loadDefaultHead();
    file = writeAvatarFile(richAvatarData(model, syntheticAlbedo(64)));
  });

  const edits: [string, (h: Record<string, any>) => void, RegExp][] = [
    ['empty landmark arrays', (h) => { h.face.landmarks468 = ''; h.face.landmarks68 = ''; }, /face\.landmarks468" has 0 values, expected 1404/],
    ['rotation 1e308', (h) => { h.camera.rotation[0] = 1e308; }, /camera\.rotation" is not a rotation matrix/],
    ['identity 1e30', (h) => { h.identity = floats(new Array(model.identityCount).fill(1e30)); }, /"identity" coefficient 0 is 1\.0\d*e\+30, beyond 20 standard deviations/],
    ['expression 1e6', (h) => { h.expression = floats(new Array(model.expressionNames.length).fill(1e6)); }, /"expression" coefficient 0/],
    ['light 1e20', (h) => { h.light = floats(new Array(27).fill(1e20)); }, /"light" value 0/],
    ['negative focal length', (h) => { h.camera.focal = -5; }, /camera\.focal/],
    ['face score 7', (h) => { h.face.score = 7; }, /face scores/],
    ['yaw 1e9 degrees', (h) => { h.pose.yawDeg = 1e9; }, /"pose" value 0/],
    ['coverage 3', (h) => { h.metrics.coverage = 3; }, /metrics\.coverage/],
    ['a scaled rotation', (h) => { h.camera.rotation = h.camera.rotation.map((v: number) => 2 * v); }, /not a rotation matrix/],
  ];
  for (const [label, edit, pattern] of edits) {
    it(`refuses ${label} behind a valid checksum`, async () => {
      await assert.rejects(readAvatarFile(withHeader(file, edit), resolve), (error: unknown) => {
        assert.ok(error instanceof PhotoAvatarError, String(error));
        assert.equal(error.code, 'CORRUPT_INPUT_FILE');
        assert.match(error.message, pattern);
        return true;
      });
    });
  }

  it('loads the avatar the pipeline makes from a real photo', async function () {
    requireSharedData(this, 'photos', 'deep3d', '000002.jpg');
    const image = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'deep3d', '000002.jpg')))).image;
    const data = await createAvatarData(image, { backend: 'wasm', textureSize: 256 });
    const loaded = await readAvatarFile(writeAvatarFile(data), resolve);
    assert.deepEqual(Array.from(loaded.identity), Array.from(data.identity));
    const sigmas = Math.max(...Array.from(data.identity, (v, k) => Math.abs(v) / model.identityStd[k]));
    console.log(`    real fit: largest identity coefficient ${sigmas.toFixed(2)} prior standard deviations (bound 20)`);
  });
});
