/**
 * The compact GLB in headless Chromium: an avatar rebuilt in the page from a `.avatar` written in
 * Node is exported with Avatar.exportCompactGLB (the editor action's download: meshopt, the WebP
 * WASM encoder as the bundler emitted it, levels of detail), compared with Node's export of the
 * same file, then loaded back with Babylon's glTF loader and the bundled meshopt decoder (no CDN:
 * any non-loopback request fails the test) and rendered. Run with
 * `npm run build:sample && npx mocha test/browser/compact-glb.test.ts`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import '../../src/node/webp-wasm.js';
import { readAvatarFile, writeAvatarFile } from '../../src/avatar-file/format.js';
import { writeCompactGlb } from '../../src/export/compact-glb.js';
import { decodeImage } from '../../src/image/decode.js';
import { createAvatarData } from '../../src/pipeline.js';
import { resolveModelPack } from '../../src/plugin/avatar-loader.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { canvasPixels, meanRgb, openScene } from './canvas-pixels.js';
import { CHROMIUM_PATH, hasChromium, launchSealedChromium, serveStatic, type SealedBrowser, type StaticServer } from './harness.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const artifactsDir = path.join(projectRoot, 'test-artifacts');
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;

/** Standard deviation of the luminance in a box of the screenshot. */
function luminanceSpread(image: PNG, box: { left: number; top: number; width: number; height: number }): number {
  let sum = 0, sumSquares = 0, count = 0;
  for (let y = box.top; y < box.top + box.height; y++) {
    for (let x = box.left; x < box.left + box.width; x++) {
      const i = 4 * (y * image.width + x);
      const luminance = 0.299 * image.data[i] + 0.587 * image.data[i + 1] + 0.114 * image.data[i + 2];
      sum += luminance;
      sumSquares += luminance * luminance;
      count++;
    }
  }
  return Math.sqrt(Math.max(0, sumSquares / count - (sum / count) ** 2));
}

describe('compact GLB exported and loaded in the browser @browser', function () {
  this.timeout(180_000);
  let server: StaticServer;
  let browser: SealedBrowser;
  let folder: string;
  let fileBytes: Uint8Array;

  before(function () {
    if (!hasChromium) {
      console.log(`    skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
      this.skip();
    }
    requireSharedData(this, ...PHOTO);
    assert.ok(existsSync(path.join(distDir, 'index.html')), `${distDir} is not built: run \`npm run build:sample\``);
  });

  before(async function () {
    const image = decodeImage(await readFile(sharedPath(...PHOTO))).image;
    fileBytes = writeAvatarFile(await createAvatarData(image, { backend: 'wasm' }));
    folder = await mkdtemp(path.join(os.tmpdir(), 'photo-avatar-compact-'));
    await writeFile(path.join(folder, 'emma.avatar'), fileBytes);
    server = await serveStatic({ '/files/': folder, '/': distDir });
    browser = await launchSealedChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('exports the same bytes as Node, and loads back with the bundled decoder into a textured head', async function () {
    const page = await openScene(browser, server, 'engine=webgl2');
    try {
      await page.waitForFunction(() => window.__compactGlb !== undefined, null, { timeout: 30_000 });
      const exported = await page.evaluate((url) => window.__compactGlb!.exportFromAvatarFile(url), '/files/emma.avatar');
      const browserGlb = new Uint8Array(Buffer.from(exported.base64, 'base64'));
      const nodeGlb = await writeCompactGlb(await readAvatarFile(fileBytes, resolveModelPack));
      console.log(`    browser export ${(browserGlb.byteLength / 1024).toFixed(0)} KiB in ${exported.exportMs.toFixed(0)} ms (SwiftShader machine); Node ${(nodeGlb.byteLength / 1024).toFixed(0)} KiB`);
      assert.ok(browserGlb.byteLength <= 1.5 * 1024 * 1024);
      assert.ok(Buffer.from(browserGlb).equals(Buffer.from(nodeGlb)), 'the browser and Node write the same compact GLB');

      const shown = await page.evaluate((base64) => window.__compactGlb!.show(base64), exported.base64);
      console.log(`    loaded in ${shown.loadMs.toFixed(0)} ms: ${shown.meshes.join(', ')}; head ${shown.headTriangles} triangles, ${shown.morphTargets} morph targets`);
      assert.equal(shown.morphTargets, 52);
      assert.equal(shown.headTriangles, 28800, 'the full level replaced the coarse ones');
      const pixels = await canvasPixels(page);
      await mkdir(artifactsDir, { recursive: true });
      const shot = path.join(artifactsDir, 'compact-glb-chromium.png');
      await writeFile(shot, PNG.sync.write(pixels));
      // The middle of the view is the face: skin-coloured, and with eyes, brows and lips it varies
      // far more than the smooth back of the head (whose luminance spread here is about 7).
      const face = { left: Math.round(pixels.width * 0.4), top: Math.round(pixels.height * 0.25), width: Math.round(pixels.width * 0.2), height: Math.round(pixels.height * 0.35) };
      const [r, g, b] = meanRgb(pixels, face);
      const spread = luminanceSpread(pixels, face);
      console.log(`    screenshot ${path.relative(projectRoot, shot)}: face box mean RGB ${r.toFixed(0)}, ${g.toFixed(0)}, ${b.toFixed(0)}, luminance spread ${spread.toFixed(1)}`);
      assert.ok(r > g + 8 && r > b + 8 && r > 60, `face box ${r}, ${g}, ${b} does not look like skin`);
      assert.ok(spread > 14, `face box luminance spread ${spread.toFixed(1)}: no facial features on screen`);
      assert.deepEqual(browser.blockedRequests, []);
      assert.deepEqual(browser.consoleErrors, []);
    } finally {
      await page.close();
    }
  });
});
