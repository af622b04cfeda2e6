/**
 * Pose sanity on real photos: upside-down faces and true profiles are refused with a message
 * (they used to fit upright or at -51° yaw and give a garbage avatar), ordinary photos still pass,
 * and a photo turned 90° is fitted at its true roll.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PhotoAvatarError } from '../../src/errors.js';
import { defaultSamplePhoto } from '../../src/cli/files.js';
import { applyOrientation, decodeImage } from '../../src/image/decode.js';
import { encodePng } from '../../src/image/encode.js';
import { rejectUnusablePose, measureProfileGeometry } from '../../src/inference/face/pose-sanity.js';
import { createAvatarData, getFaceAnalyzer } from '../../src/pipeline.js';
import type { RgbaImage } from '../../src/types.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { spawnCli } from './cli-child.js';

const EXIF_TURN_180 = 3;
const EXIF_TURN_90 = 6;

function photo(file: string): RgbaImage {
  return decodeImage(new Uint8Array(readFileSync(file))).image;
}

/** Which outcome rejectUnusablePose gives for the largest face: 'ok', 'no face' or the error message. */
async function poseVerdict(image: RgbaImage): Promise<string> {
  const analyzer = await getFaceAnalyzer('wasm');
  const analysis = await analyzer.analyze(image);
  if (analysis.faces.length === 0) return 'no face';
  try {
    await rejectUnusablePose(analyzer, image, analysis.faces[0]);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof PhotoAvatarError && error.code === 'EXTREME_POSE', String(error));
    return error.message;
  }
}

describe('hostile: pose sanity on real photos', function () {
  requireSharedData(this, 'photos', 'deep3d', '000002.jpg');
  this.timeout(600_000);

  it('ordinary photos pass; the same photos turned 180° are refused as upside down', async () => {
    const files = [
      ...['000002', '000006', '000007', '000031', '000033', '000055'].map((n) => sharedPath('photos', 'deep3d', `${n}.jpg`)),
      ...['00016', '00034', '00133', '00521'].map((n) => sharedPath('photos', 'hrn', 'single', `${n}.png`)),
      ...['0', '1', '4'].map((n) => sharedPath('photos', 'prnet', `${n}.jpg`)),
      ...['JianzhuGuo', 'emma', 'trump_hillary'].map((n) => sharedPath('photos', '3ddfa_v2', `${n}.jpg`)),
      defaultSamplePhoto(),
    ].filter((file) => existsSync(file));
    let upright = 0, turnedRefused = 0, turnedUndetected = 0;
    const failures: string[] = [];
    for (const file of files) {
      const image = photo(file);
      const asIs = await poseVerdict(image);
      if (asIs === 'ok') upright++;
      else failures.push(`${path.basename(file)} upright: ${asIs}`);
      const turned = await poseVerdict(applyOrientation(image, EXIF_TURN_180));
      if (/upside down/.test(turned)) turnedRefused++;
      else if (turned === 'no face') turnedUndetected++;
      else failures.push(`${path.basename(file)} turned 180°: ${turned}`);
    }
    console.log(`    ${files.length} photos: ${upright} upright accepted; turned 180°: ${turnedRefused} refused as upside down, ${turnedUndetected} not detected at all`);
    assert.deepEqual(failures, []);
    assert.ok(turnedRefused >= files.length / 2, 'most turned photos still have a detected face, and are refused');
  });

  it('the 90° profile prnet/3.jpg is refused by its geometry, not passed at -51° yaw', async () => {
    const image = photo(sharedPath('photos', 'prnet', '3.jpg'));
    const analysis = await (await getFaceAnalyzer('wasm')).analyze(image);
    const geometry = measureProfileGeometry(analysis.faces[0]);
    console.log(`    prnet/3.jpg: far eye ${(100 * geometry.eyeWidthRatio).toFixed(0)}% of the near eye, nose at ${geometry.nosePosition.toFixed(2)} of the cheek line`);
    await assert.rejects(createAvatarData(image, { backend: 'wasm' }), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError && error.code === 'EXTREME_POSE', String(error));
      assert.match(error.message, /seen in profile/);
      return true;
    });
  });

  it('a photo turned 90° is fitted at its true roll, about as well as upright', async () => {
    const image = photo(sharedPath('photos', 'deep3d', '000002.jpg'));
    const upright = await createAvatarData(image, { backend: 'wasm', textureSize: 256 });
    const turned = await createAvatarData(applyOrientation(image, EXIF_TURN_90), { backend: 'wasm', textureSize: 256 });
    console.log(`    upright: roll ${upright.pose.rollDeg.toFixed(1)}°, landmark error ${(100 * upright.metrics.landmarkErrorNormalized).toFixed(1)}%; ` +
      `turned 90°: roll ${turned.pose.rollDeg.toFixed(1)}°, landmark error ${(100 * turned.metrics.landmarkErrorNormalized).toFixed(1)}%`);
    assert.ok(Math.abs(Math.abs(turned.pose.rollDeg - upright.pose.rollDeg) - 90) < 10, `roll follows the photo (${turned.pose.rollDeg}°)`);
    assert.ok(turned.metrics.landmarkErrorNormalized < 1.5 * upright.metrics.landmarkErrorNormalized + 0.01);
  });

  it('create on an upside-down photo: exit 1 naming the file, nothing written', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-pose-'));
    try {
      const file = path.join(dir, 'upside-down.png');
      writeFileSync(file, encodePng(applyOrientation(photo(sharedPath('photos', 'deep3d', '000002.jpg')), EXIF_TURN_180)));
      const run = await spawnCli(['create', file, '-o', path.join(dir, 'out.glb')]);
      console.log(`    exit ${run.status}: ${run.stderr.trim().split('\n').pop()}`);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /upside-down\.png: The face looks upside down/);
      assert.deepEqual(readdirSync(dir), ['upside-down.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
