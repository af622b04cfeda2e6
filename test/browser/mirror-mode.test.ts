/**
 * The sample scene's Mirror mode in headless Chromium, fed by Chromium's fake camera: a Y4M clip
 * made here from synthetic renders of an avatar built from the package's sample photo, turned
 * 15 degrees with the jaw open. The page builds its own avatar from the same photo, mirrors the
 * camera onto it, and the readout must report frames with the head turned the rendered way; once
 * with FaceMesh + Iris, once with the attention FaceMesh (`?mesh=attention`). With FaceMesh it is
 * then calibrated on that turned head, which makes the pose straight ahead.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeImage } from '../../src/image/decode.js';
import { encodePng } from '../../src/image/encode.js';
import { createAvatarData } from '../../src/pipeline.js';
import type { RgbaImage } from '../../src/types.js';
import { projectRoot } from '../helpers/shared-data.js';
import { seededRandom } from '../helpers/random.js';
import { DEFAULT_RANGES, randomLook, randomTruth, renderTruth } from '../tracking/synthetic-frames.js';
import { CHROMIUM_PATH, hasChromium, launchSealedChromium, serveStatic, type SealedBrowser, type StaticServer } from './harness.js';
import { openScene } from './canvas-pixels.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const generatedDir = path.join(projectRoot, 'assets', 'generated');
const artifactsDir = path.join(projectRoot, 'test-artifacts');
const YAW_DEG = 15;
/** Mean distance of the observed mesh points from the solved avatar's, 640x480 frame (generous: the head spans about 150 px). */
const MAX_LANDMARK_ERROR_PX = 5;

/** YUV4MPEG2, 4:2:0 (C420jpeg: full-range BT.601), the format Chromium's fake camera reads. */
function writeY4m(file: string, frames: RgbaImage[], fps: number): void {
  const { width, height } = frames[0];
  const chunks: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (const frame of frames) {
    const y = Buffer.alloc(width * height), u = Buffer.alloc((width / 2) * (height / 2)), v = Buffer.alloc((width / 2) * (height / 2));
    for (let p = 0; p < width * height; p++) {
      const r = frame.data[4 * p], g = frame.data[4 * p + 1], b = frame.data[4 * p + 2];
      y[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
    for (let cy = 0; cy < height / 2; cy++) {
      for (let cx = 0; cx < width / 2; cx++) {
        const p = 4 * (2 * cy * width + 2 * cx);
        const r = frame.data[p], g = frame.data[p + 1], b = frame.data[p + 2];
        u[cy * (width / 2) + cx] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
        v[cy * (width / 2) + cx] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
      }
    }
    chunks.push(Buffer.from('FRAME\n'), y, u, v);
  }
  writeFileSync(file, Buffer.concat(chunks));
}

describe('sample scene Mirror mode with a fake camera @browser', function () {
  this.timeout(300_000);
  let server: StaticServer;
  let browser: SealedBrowser;

  before(async function () {
    if (!hasChromium) {
      console.log(`    skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
      this.skip();
    }
    assert.ok(existsSync(path.join(distDir, 'index.html')), `${distDir} is not built: run \`npm run build:sample\``);
    const photo = decodeImage(new Uint8Array(readFileSync(path.join(generatedDir, 'sample-photo.jpg')))).image;
    const data = await createAvatarData(photo, { textureSize: 256 });
    const size = { width: 640, height: 480 };
    const camera = { focal: 1.2 * size.width, cx: (size.width - 1) / 2, cy: (size.height - 1) / 2 };
    const random = seededRandom(3);
    const truth = randomTruth(data, random, { ...DEFAULT_RANGES, yawDeg: 0, pitchDeg: 0, rollDeg: 0, gazeYawDeg: 0, gazePitchDeg: 0 });
    truth.weights.fill(0);
    const still = renderTruth(data, { ...truth, yawDeg: YAW_DEG, rotation: Float64Array.from([Math.cos(YAW_DEG * Math.PI / 180), 0, Math.sin(YAW_DEG * Math.PI / 180), 0, 1, 0, -Math.sin(YAW_DEG * Math.PI / 180), 0, Math.cos(YAW_DEG * Math.PI / 180)]) }, camera, size, randomLook(data, random, 0), random);
    const clip = path.join(mkdtempSync(path.join(os.tmpdir(), 'photo-avatar-mirror-')), 'clip.y4m');
    writeY4m(clip, [still, still, still, still], 30);
    await mkdir(artifactsDir, { recursive: true });
    writeFileSync(path.join(artifactsDir, 'mirror-mode-camera.png'), encodePng(still));
    server = await serveStatic({ '/photos/': generatedDir, '/': distDir });
    browser = await launchSealedChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${clip}`]);
    await browser.context.grantPermissions(['camera'], { origin: server.origin });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const meshModel of ['faceMesh', 'attention'] as const) {
    it(`tracks the fake camera onto the avatar with ${meshModel} and reports fps, latency and the head turn`, async () => {
      const page = await openScene(browser, server, `engine=webgl2&backend=wasm${meshModel === 'faceMesh' ? '' : `&mesh=${meshModel}`}`);
      try {
        await page.evaluate(async () => { await window.__sampleScene!.createFromUrl('/photos/sample-photo.jpg'); });
        await page.evaluate(() => window.__sampleScene!.toggleMirror());
        await page.waitForFunction(() => /Mirror: \d+ fps, latency \d+ ms, yaw -?\d+/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 120_000 });
        // A few more frames so the smoothing settles.
        await page.waitForTimeout(3000);
        await mkdir(artifactsDir, { recursive: true });
        await page.screenshot({ path: path.join(artifactsDir, meshModel === 'faceMesh' ? 'mirror-mode.png' : `mirror-mode-${meshModel}.png`) });
        const status = (await page.textContent('#status')) ?? '';
        const stats = await page.evaluate(() => window.__sampleScene!.mirrorStats());
        const weights = stats.last?.weights ?? [];
        console.log(`      ${status.trim()}`);
        console.log(`      ${meshModel}: ${stats.framesWithFace} of ${stats.frames} frames with a face; last frame: landmark error ${stats.last?.landmarkErrorPx.toFixed(2)} px, `
          + `weights ${Math.min(...weights).toFixed(3)}..${Math.max(...weights).toFixed(3)}, ${weights.filter((w) => w > 0.1).length} above 0.1`);
        assert.equal(stats.meshModel, meshModel);
        assert.ok(stats.framesWithFace > 0 && stats.last, 'no frame with a face');
        const yaw = Number(/yaw (-?\d+)/.exec(status)![1]);
        assert.ok(Math.abs(yaw - YAW_DEG) <= 8, `tracked yaw ${yaw}° for a head rendered at ${YAW_DEG}°`);
        assert.ok(Math.abs(stats.last.yawDeg - YAW_DEG) <= 8, `last frame's yaw ${stats.last.yawDeg.toFixed(1)}°`);
        assert.ok(weights.length > 0 && weights.every((w) => w >= 0 && w <= 1), 'expression weights outside 0..1');
        // The clip shows the avatar's own head with every weight 0: few targets may light up.
        assert.ok(weights.filter((w) => w > 0.5).length <= 3, `${weights.filter((w) => w > 0.5).length} targets above 0.5 on a neutral face`);
        assert.ok(stats.last.landmarkErrorPx < MAX_LANDMARK_ERROR_PX, `landmark error ${stats.last.landmarkErrorPx.toFixed(2)} px`);
        assert.match(status, /tracking in the worker/, 'the face models and the solve run in the avatar worker');
        if (meshModel !== 'faceMesh') assert.match(status, new RegExp(`${meshModel} mesh`), 'the readout names the landmark model');
        if (meshModel === 'faceMesh') {
          // Calibrating on the turned head makes that pose straight ahead: later frames of the same still read about 0°.
          const calibration = await page.evaluate(() => window.__sampleScene!.calibrateMirror());
          const framesAtCalibration = (await page.evaluate(() => window.__sampleScene!.mirrorStats())).framesWithFace;
          await page.waitForFunction((count) => window.__sampleScene!.mirrorStats().framesWithFace >= count + 5, framesAtCalibration, { timeout: 120_000 });
          const after = await page.evaluate(() => window.__sampleScene!.mirrorStats());
          console.log(`      calibrated on a frame at yaw ${calibration.framePose.yawDeg.toFixed(1)}° (pitch ${calibration.framePose.pitchDeg.toFixed(1)}°, roll ${calibration.framePose.rollDeg.toFixed(1)}°); `
            + `yaw afterwards ${after.last!.yawDeg.toFixed(2)}°, landmark error ${after.last!.landmarkErrorPx.toFixed(2)} px`);
          assert.ok(Math.abs(calibration.framePose.yawDeg - YAW_DEG) <= 8, `calibration frame's yaw ${calibration.framePose.yawDeg.toFixed(1)}°`);
          assert.ok(Math.abs(after.last!.yawDeg) <= 3, `yaw ${after.last!.yawDeg.toFixed(2)}° after calibrating on this pose`);
          assert.ok(after.last!.landmarkErrorPx < MAX_LANDMARK_ERROR_PX, `landmark error ${after.last!.landmarkErrorPx.toFixed(2)} px after calibrating`);
        }
        assert.deepEqual(browser.blockedRequests, []);
        await page.evaluate(() => window.__sampleScene!.toggleMirror());
      } finally {
        await page.close();
      }
    });
  }
});
