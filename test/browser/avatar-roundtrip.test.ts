/**
 * A .avatar written in Node (the photo pipeline, then the file writer) and loaded in the browser
 * through the sample scene's `window.__avatarFile` hook rebuilds the same head: vertex positions
 * and albedo are compared number for number. Run with
 * `npm run build:sample && npx mocha test/browser/avatar-roundtrip.test.ts`. The same file, exported in
 * the page as a compact GLB (meshopt, WebP through the bundled WASM encoder, levels of detail), must
 * match Node's export byte for byte, written in the avatar worker (the default) as on the main
 * thread, and load back with the bundled meshopt decoder (no CDN: any non-loopback request fails
 * the test). While it is written, the page's animation frames show what the worker leaves free.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readAvatarFile, writeAvatarFile } from '../../src/avatar-file/format.js';
import { writeCompactGlb } from '../../src/export/compact-glb.js';
import { decodeImage } from '../../src/image/decode.js';
import { createAvatarData } from '../../src/pipeline.js';
import { resolveModelPack } from '../../src/plugin/avatar-loader.js';
import type { AvatarData } from '../../src/types.js';
import type { AvatarFileHooks, AvatarFileProbe } from '../../sample-scene/avatar-file-hook.js';
import type { CompactGlbHooks } from '../../sample-scene/compact-glb-hook.js';
import { PNG } from 'pngjs';
import { projectRoot, sharedPath } from '../helpers/shared-data.js';
import { canvasPixels, meanRgb, openScene, roundBox } from './canvas-pixels.js';
import { launchSealedChromium, requireChromiumAndSample, serveStatic, type SealedBrowser, type StaticServer } from './harness.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const artifactsDir = path.join(projectRoot, 'test-artifacts');
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;

function maxChannelDifference(a: Uint8Array | Uint8ClampedArray, b: Uint8Array | Uint8ClampedArray): { max: number; mean: number } {
  let max = 0, sum = 0, count = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    sum += d;
    count++;
  }
  return { max, mean: sum / count };
}

/** Standard deviation of the luminance in a box of the screenshot. */
/** Shares of the box's pixels that `after` shows at most 0.8 of `before`'s luminance, and brighter (by more than 5 % + 2). */
function tintedShare(before: PNG, after: PNG, box: { left: number; top: number; width: number; height: number }): { darker: number; brighter: number } {
  const luma = (image: PNG, i: number) => 0.2126 * image.data[i] + 0.7152 * image.data[i + 1] + 0.0722 * image.data[i + 2];
  let darker = 0, brighter = 0, count = 0;
  for (let y = Math.max(0, Math.floor(box.top)); y < Math.min(before.height, Math.ceil(box.top + box.height)); y++) {
    for (let x = Math.max(0, Math.floor(box.left)); x < Math.min(before.width, Math.ceil(box.left + box.width)); x++) {
      const i = 4 * (y * before.width + x), was = luma(before, i), now = luma(after, i);
      if (now <= 0.8 * was) darker++;
      if (now > 1.05 * was + 2) brighter++;
      count++;
    }
  }
  return { darker: darker / Math.max(1, count), brighter: brighter / Math.max(1, count) };
}

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

describe('.avatar written in Node, loaded in the browser @browser', function () {
  this.timeout(180_000);
  let server: StaticServer;
  let browser: SealedBrowser;
  let folder: string;
  let data: AvatarData;
  let fileBytes: Uint8Array;

  before(function () {
    requireChromiumAndSample(this, distDir, ...PHOTO);
  });

  before(async function () {
    const start = Date.now();
    const image = decodeImage(await readFile(sharedPath(...PHOTO))).image;
    data = await createAvatarData(image, { backend: 'wasm' });
    fileBytes = writeAvatarFile(data);
    folder = await mkdtemp(path.join(os.tmpdir(), 'photo-avatar-roundtrip-'));
    await writeFile(path.join(folder, 'emma.avatar'), fileBytes);
    console.log(`    Node: avatar from ${PHOTO.join('/')} in ${Date.now() - start} ms, .avatar ${(fileBytes.byteLength / 1024).toFixed(1)} KiB (albedo ${data.albedo.width}²)`);
    server = await serveStatic({ '/files/': folder, '/': distDir });
    browser = await launchSealedChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('rebuilds the same vertex positions and albedo', async function () {
    const page = await openScene(browser, server, 'engine=webgl2');
    try {
      await page.waitForFunction(() => window.__avatarFile !== undefined, null, { timeout: 30_000 });
      const probe: AvatarFileProbe = await page.evaluate((url) => window.__avatarFile!.loadFromUrl(url), '/files/emma.avatar');
      const positionBytes = Buffer.from(probe.positionsBase64, 'base64');
      const positions = new Float32Array(positionBytes.buffer, positionBytes.byteOffset, positionBytes.byteLength / 4);
      assert.equal(probe.modelId, data.model.id);
      assert.equal(positions.length, data.neutralVertices.length);
      let maxPositionDiff = 0;
      for (let i = 0; i < positions.length; i++) maxPositionDiff = Math.max(maxPositionDiff, Math.abs(positions[i] - data.neutralVertices[i]));

      // The file stores JPEG: the reference is what Node decodes from the same bytes; the photo's
      // own albedo differs from both by the JPEG loss.
      const nodeRead = await readAvatarFile(fileBytes, resolveModelPack);
      const albedo = Buffer.from(probe.albedoBase64, 'base64');
      assert.equal(probe.albedoWidth, nodeRead.albedo.width);
      assert.equal(probe.albedoHeight, nodeRead.albedo.height);
      const versusNode = maxChannelDifference(albedo, nodeRead.albedo.data);
      const versusPhoto = maxChannelDifference(albedo, data.albedo.data);
      // Read in the avatar worker and built in slices (the default), then again on the main thread in one task.
      const mainThread: AvatarFileProbe = await page.evaluate((url) => window.__avatarFile!.loadFromUrl(url, { worker: false }), '/files/emma.avatar');
      const watched = (p: AvatarFileProbe) => `${p.loadMs.toFixed(0)} ms (${p.loadFrames} animation frames, main-thread long tasks ${p.loadLongTasksMs.map((ms) => ms.toFixed(0)).join(' + ') || 'none'} ms)`;
      console.log(`    browser: loaded in ${watched(probe)} through the worker, in ${watched(mainThread)} on the main thread; ${probe.vertexCount} vertices, bones ${probe.boneNames.join('/')}; `
        + `max position difference ${maxPositionDiff.toExponential(2)} m; albedo vs Node's decode of the file: max channel diff ${versusNode.max} (mean ${versusNode.mean.toFixed(3)}), `
        + `vs the pipeline's albedo before JPEG: max ${versusPhoto.max}, mean ${versusPhoto.mean.toFixed(2)}`);
      assert.ok(maxPositionDiff < 1e-4, `positions differ by ${maxPositionDiff}`);
      assert.equal(mainThread.positionsBase64, probe.positionsBase64, 'the main thread rebuilds other positions than the worker');
      assert.equal(mainThread.albedoBase64, probe.albedoBase64, 'the main thread decodes another albedo than the worker');
      assert.ok(probe.loadFrames / probe.loadMs > 2 * mainThread.loadFrames / mainThread.loadMs, 'the page drew no more frames while the worker read the file');
      assert.equal(versusNode.max, 0, 'the same albedo pixels');
      assert.ok(versusPhoto.mean < 3, 'JPEG loss stays small');
      assert.deepEqual(probe.boneNames, ['neck', 'head', 'jaw', 'eyeLeft', 'eyeRight']);
      assert.deepEqual(probe.expressionNames, data.model.expressionNames);
      assert.deepEqual(browser.blockedRequests, []);
      assert.deepEqual(browser.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('renders on WebGL2 with an opened jaw showing a dark mouth cavity (skinned, morphed, roughness-mapped)', async function () {
    const page = await openScene(browser, server, 'engine=webgl2');
    try {
      await page.waitForFunction(() => window.__avatarFile !== undefined, null, { timeout: 30_000 });
      await mkdir(artifactsDir, { recursive: true });
      const luminance = (c: number[]) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
      const shots: Record<string, { box: string; mean: [number, number, number]; pixels: PNG }> = {};
      let mouthBox = null, openedBox = null;
      let loadedWith: boolean | null = null;
      for (const [label, mouthInterior, jawOpen] of [['plain-open', false, 1], ['cavity-open', true, 1], ['cavity-closed', true, 0]] as const) {
        if (loadedWith !== mouthInterior) {
          await page.evaluate(([url, tint]) => window.__avatarFile!.loadFromUrl(url, { keep: true, mouthInterior: tint }).then(() => undefined), ['/files/emma.avatar', mouthInterior] as const);
          loadedWith = mouthInterior;
        }
        const box = await page.evaluate((weight) => window.__avatarFile!.showLoaded({ jawOpen: weight }), jawOpen);
        assert.ok(box, 'the pack has inner-lip landmarks');
        // Every shot is measured in the middle of the opened mouth (the lips fill the box's edges),
        // and the tint over the whole opened mouth.
        openedBox ??= box;
        mouthBox ??= { left: box.left + 0.3 * box.width, top: box.top + 0.25 * box.height, width: 0.4 * box.width, height: 0.5 * box.height };
        const shot: PNG = await canvasPixels(page);
        await writeFile(path.join(artifactsDir, `avatar-roundtrip-webgl2-${label}.png`), PNG.sync.write(shot));
        shots[label] = { box: roundBox(mouthBox), mean: meanRgb(shot, mouthBox), pixels: shot };
      }
      await page.evaluate(() => window.__avatarFile!.disposeLoaded());
      const tint = tintedShare(shots['plain-open'].pixels, shots['cavity-open'].pixels, openedBox!);
      console.log(`    WebGL2 mouth box ${shots['plain-open'].box}: mean sRGB opened without cavity tint ${shots['plain-open'].mean.map(Math.round)}, `
        + `with it ${shots['cavity-open'].mean.map(Math.round)}, closed ${shots['cavity-closed'].mean.map(Math.round)}; `
        + `the tint darkens ${(100 * tint.darker).toFixed(1)} % of the opened mouth ${roundBox(openedBox!)} by a fifth or more and brightens ${(100 * tint.brighter).toFixed(1)} %`);
      assert.ok(mouthBox!.height > 3 && mouthBox!.width > 10, 'the opened mouth is visible');
      // The default head's opened mouth shows its upper and lower teeth and its tongue, which the
      // tint leaves alone: it darkens the lining that shows around them (7.7 % of the box measured;
      // with the jaw that showed less of the teeth, the middle of the mouth darkened by 0.87).
      assert.ok(tint.darker > 0.03, 'the cavity tint darkens the lining of the opened mouth');
      assert.ok(tint.brighter < 0.005, 'the cavity tint brightens nothing');
      assert.ok(luminance(shots['cavity-open'].mean) < 0.96 * luminance(shots['cavity-closed'].mean), 'the opened mouth is darker than the closed lips');
      assert.deepEqual(browser.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('fits hair styles (Avatar.setHair) in the avatar worker: the same hair as on the main thread, and the page keeps drawing', async function () {
    const page = await openScene(browser, server, 'engine=webgl2');
    try {
      await page.waitForFunction(() => window.__avatarFile !== undefined, null, { timeout: 30_000 });
      await page.evaluate((url) => window.__avatarFile!.loadFromUrl(url, { keep: true }).then(() => undefined), '/files/emma.avatar');
      // In the worker: the first request also sends the model and loads the hair asset there; then on the main thread.
      const runs: Awaited<ReturnType<AvatarFileHooks['restyleLoaded']>>[] = [];
      for (const [style, worker] of [['afro01', true], ['bob01', true], ['bob01', false]] as const) {
        runs.push(await page.evaluate(([s, w]) => window.__avatarFile!.restyleLoaded(s, { worker: w }), [style, worker] as const));
      }
      runs.forEach((run, i) => console.log(`    setHair ${['afro01 in the worker', 'bob01 in the worker', 'bob01 on the main thread'][i]}: ${run.ms.toFixed(0)} ms, ${run.frames} animation frames, main-thread long tasks ${run.longTasksMs.length} (longest ${Math.max(0, ...run.longTasksMs).toFixed(0)} ms) (SwiftShader machine)`));
      assert.ok(runs[1].positionsBase64.length > 1000, 'no hair mesh after setHair');
      assert.equal(runs[1].positionsBase64, runs[2].positionsBase64, 'the worker and the main thread fit different hair');
      assert.equal(runs[1].coloursBase64, runs[2].coloursBase64, 'the worker and the main thread colour the hair differently');
      assert.notEqual(runs[0].positionsBase64, runs[1].positionsBase64, 'the style did not change');
      const frameRate = (run: (typeof runs)[number]) => run.frames / run.ms;
      assert.ok(frameRate(runs[1]) > 1.5 * frameRate(runs[2]), `animation frames during setHair in the worker ${runs[1].frames} in ${runs[1].ms.toFixed(0)} ms against ${runs[2].frames} in ${runs[2].ms.toFixed(0)} ms on the main thread`);
      assert.deepEqual(browser.consoleErrors, []);
    } finally {
      await page.evaluate(() => window.__avatarFile?.disposeLoaded()).catch(() => {});
      await page.close();
    }
  });

  it('exports a compact GLB (Avatar.exportCompactGLB, the editor download) with the same bytes as Node, and loads it back with the bundled meshopt decoder into a textured head', async function () {
    const page = await openScene(browser, server, 'engine=webgl2');
    try {
      await page.waitForFunction(() => window.__compactGlb !== undefined, null, { timeout: 30_000 });
      const nodeGlb = await writeCompactGlb(await readAvatarFile(fileBytes, resolveModelPack));
      // In the avatar worker (the default; the second export names the model by token), then on the main thread.
      const runs: Awaited<ReturnType<CompactGlbHooks['exportFromAvatarFile']>>[] = [];
      for (const worker of [true, true, false]) runs.push(await page.evaluate(([url, inWorker]) => window.__compactGlb!.exportFromAvatarFile(url, { worker: inWorker }), ['/files/emma.avatar', worker] as const));
      const longTasks = runs.map((run) => run.longTasksMs.reduce((sum, ms) => sum + ms, 0));
      const exported = runs[0];
      const browserGlb = new Uint8Array(Buffer.from(exported.base64, 'base64'));
      runs.forEach((run, i) => console.log(`    browser export ${['in the worker', 'in the worker again', 'on the main thread'][i]}: ${run.exportMs.toFixed(0)} ms, ${run.frames} animation frames, main-thread long tasks ${run.longTasksMs.length} (${longTasks[i].toFixed(0)} ms, longest ${Math.max(0, ...run.longTasksMs).toFixed(0)} ms) (SwiftShader machine)`));
      console.log(`    ${(browserGlb.byteLength / 1024).toFixed(0)} KiB; Node ${(nodeGlb.byteLength / 1024).toFixed(0)} KiB`);
      assert.ok(browserGlb.byteLength <= 1.5 * 1024 * 1024);
      for (const run of runs) assert.ok(Buffer.from(run.base64, 'base64').equals(Buffer.from(nodeGlb)), 'the browser (worker and main thread) and Node write the same compact GLB');
      // The worker leaves the page only the clone of the avatar's arrays into the message: the page
      // keeps drawing (measured here 46 frames in 0.78 s against 5 in 0.81 s on the main thread).
      const frameRate = (run: (typeof runs)[number]) => run.frames / run.exportMs;
      assert.ok(frameRate(runs[1]) > 2 * frameRate(runs[2]), `animation frames during a worker export ${runs[1].frames} in ${runs[1].exportMs.toFixed(0)} ms against ${runs[2].frames} in ${runs[2].exportMs.toFixed(0)} ms on the main thread`);

      const shown = await page.evaluate((base64) => window.__compactGlb!.show(base64), exported.base64);
      console.log(`    loaded in ${shown.loadMs.toFixed(0)} ms: ${shown.meshes.join(', ')}; head ${shown.headTriangles} triangles, ${shown.morphTargets} morph targets`);
      assert.equal(shown.morphTargets, 52);
      assert.equal(shown.headTriangles, data.model.indices.length / 3, 'the full level replaced the coarse ones');
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
