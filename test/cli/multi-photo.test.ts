/**
 * `photo-avatar create a.jpg b.jpg c.jpg`: several photos of one person make one avatar; the report
 * lists every photo's fit, and a photo without a face is named. Runs the CLI in a child process on
 * HRN's multi_view photos. Needs ../shared/data.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../../src/image/encode.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot, encoding: 'utf8', timeout: 240_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('cli: photo-avatar create with several photos', function () {
  requireSharedData(this, 'photos', 'hrn', 'multi_view');
  const photos = ['10078.jpg', '21650.jpg', '5932.jpg'].map((name) => sharedPath('photos', 'hrn', 'multi_view', name));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'photo-avatar-multi-'));

  it('fits one head to all photos and reports each photo', function () {
    this.timeout(300_000);
    const glb = path.join(tmp, 'multi.glb');
    const report = path.join(tmp, 'multi.json');
    const run = cli('create', ...photos, '-o', glb, '--report', report, '--texture-size', '256');
    assert.equal(run.status, 0, run.stderr);
    console.log(`      ${run.stderr.trim().split('\n').pop()}`);
    assert.ok(existsSync(glb));
    const r = JSON.parse(readFileSync(report, 'utf8'));
    assert.equal(r.views.length, photos.length);
    for (const [i, view] of r.views.entries()) {
      console.log(`      ${path.basename(view.photo.file)}: landmark error ${(100 * view.metrics.landmarkErrorNormalized).toFixed(2)}%, yaw ${view.pose.yawDeg.toFixed(1)}`);
      assert.equal(view.photo.file, photos[i]);
      assert.equal(view.landmarks68.length, 136);
      assert.equal(view.light.length, 27);
      assert.ok(view.metrics.landmarkErrorNormalized < 0.03);
    }
    assert.deepEqual(r.landmarks68, r.views[0].landmarks68, 'top-level fields describe the first photo');
    console.log(`      merged coverage ${r.metrics.coverage.toFixed(3)}`);
  });

  it('names the photo that has no face', function () {
    this.timeout(120_000);
    const wall = path.join(tmp, 'wall.png');
    writeFileSync(wall, encodePng({ width: 320, height: 240, data: new Uint8ClampedArray(320 * 240 * 4).fill(160) }));
    const run = cli('create', photos[0], wall, '-o', path.join(tmp, 'wall.glb'));
    console.log(`      ${run.stderr.trim().split('\n').pop()}`);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /wall\.png: No face was found/);
  });
});
