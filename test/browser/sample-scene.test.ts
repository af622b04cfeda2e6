/**
 * The sample scene end to end in headless Chromium: both Babylon engines, a real photo through the
 * whole pipeline, pixels checked where the head and mouth land. No network beyond loopback.
 * Run with `npm run test:browser` (builds sample-scene/dist first).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { CHROMIUM_PATH, hasChromium, launchSealedChromium, serveStatic, type SealedBrowser, type StaticServer } from './harness.js';
import type { AvatarSummary } from '../../sample-scene/main.js';
import type { ScreenBox } from '../../sample-scene/avatar-controller.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const artifactsDir = path.join(projectRoot, 'test-artifacts');
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;
/** A channel must move this much (0..255) for a pixel to count as changed; absorbs dithering. */
const PIXEL_TOLERANCE = 12;

// page.evaluate callbacks run in the page, where main.ts has set window.__sampleScene!.

async function openScene(browser: SealedBrowser, server: StaticServer, query: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/index.html?${query}`);
  await page.waitForFunction(() => ['idle', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 180_000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  assert.equal(state, 'idle', `page failed to start: ${await page.textContent('#status')}`);
  return page;
}

/**
 * The canvas as the user sees it, after a fully ready frame. Retakes until two consecutive captures
 * agree, so a capture caught between the compositor's frames cannot pass for what the scene draws.
 */
async function canvasPixels(page: Page): Promise<PNG> {
  await page.evaluate(() => window.__sampleScene!.whenRendered());
  let previous = PNG.sync.read(await page.locator('#render-canvas').screenshot());
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.evaluate(() => window.__sampleScene!.whenRendered());
    const current = PNG.sync.read(await page.locator('#render-canvas').screenshot());
    if (current.width === previous.width && current.height === previous.height && current.data.equals(previous.data)) return current;
    console.log(`      canvas capture ${attempt + 1} differed from the one before it; taking another`);
    previous = current;
  }
  return previous;
}

/** Fraction of pixels inside `box` where some channel differs by more than the tolerance. */
function changedFraction(a: PNG, b: PNG, box: ScreenBox): number {
  const left = Math.max(0, Math.floor(box.left));
  const top = Math.max(0, Math.floor(box.top));
  const right = Math.min(a.width, Math.ceil(box.left + box.width));
  const bottom = Math.min(a.height, Math.ceil(box.top + box.height));
  let changed = 0;
  let total = 0;
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const i = (y * a.width + x) * 4;
      total++;
      if (Math.abs(a.data[i] - b.data[i]) > PIXEL_TOLERANCE || Math.abs(a.data[i + 1] - b.data[i + 1]) > PIXEL_TOLERANCE
        || Math.abs(a.data[i + 2] - b.data[i + 2]) > PIXEL_TOLERANCE) changed++;
    }
  }
  return total === 0 ? 0 : changed / total;
}

/** Prints the page's progress line whenever it changes, so slow runs show where they are in CI logs. */
function followProgress(page: Page, label: string): () => void {
  let last = '';
  const started = Date.now();
  const timer = setInterval(() => {
    page.textContent('#progress-stage').then((text) => {
      if (text && text !== last) console.log(`      ${label} +${Math.round((Date.now() - started) / 1000)} s: ${text}`);
      last = text ?? last;
    }, () => undefined);
  }, 5000);
  return () => clearInterval(timer);
}

/** Mean RGB inside `box`, for failure messages that say what changed. */
function meanColour(image: PNG, box: ScreenBox): string {
  const sums = [0, 0, 0];
  let count = 0;
  for (let y = Math.max(0, Math.floor(box.top)); y < Math.min(image.height, Math.ceil(box.top + box.height)); y++) {
    for (let x = Math.max(0, Math.floor(box.left)); x < Math.min(image.width, Math.ceil(box.left + box.width)); x++) {
      const i = (y * image.width + x) * 4;
      for (let c = 0; c < 3; c++) sums[c] += image.data[i + c];
      count++;
    }
  }
  return sums.map((sum) => Math.round(sum / Math.max(1, count))).join(',');
}

function roundBox(box: ScreenBox): string {
  return `${Math.round(box.left)},${Math.round(box.top)} ${Math.round(box.width)}x${Math.round(box.height)}`;
}

describe('sample scene in headless Chromium @browser', function () {
  this.timeout(900_000);
  let server: StaticServer;
  let browser: SealedBrowser;

  before(function () {
    if (!hasChromium) {
      console.log(`    skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
      this.skip();
    }
    requireSharedData(this, ...PHOTO);
    assert.ok(existsSync(path.join(distDir, 'index.html')), `${distDir} is not built: run \`npm run build:sample\` (npm run test:browser does)`);
  });

  before(async function () {
    server = await serveStatic({ '/photos/': sharedPath('photos'), '/': distDir });
    browser = await launchSealedChromium();
    await mkdir(artifactsDir, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs onnxruntime-web on the WebGPU execution provider with correct numbers', async () => {
    const page = await openScene(browser, server, 'engine=webgpu');
    try {
      const start = Date.now();
      const probe = await page.evaluate(() => window.__sampleScene!.probeInference('auto'));
      console.log(`      inference probe: backend ${probe.backend}, max |error| ${probe.maxAbsError.toExponential(2)}, ${Date.now() - start} ms`);
      assert.equal(probe.backend, 'webgpu');
      assert.ok(probe.maxAbsError < 1e-4, `WebGPU result off by ${probe.maxAbsError}`);
    } finally {
      await page.close();
    }
  });

  // Inference runs on WASM here: the probe above checks the WebGPU provider, and the whole pipeline on
  // SwiftShader's WebGPU costs many minutes. PHOTO_AVATAR_BROWSER_BACKEND=auto|webgpu runs it anyway.
  const pipelineBackend = (process.env.PHOTO_AVATAR_BROWSER_BACKEND ?? 'wasm') as 'auto' | 'webgpu' | 'wasm';
  const cases = [
    { engine: 'webgpu', backend: pipelineBackend },
    { engine: 'webgl2', backend: pipelineBackend },
  ] as const;

  for (const { engine, backend } of cases) {
    it(`${engine}: builds an avatar from a photo and its jawOpen slider moves the mouth`, async () => {
      const page = await openScene(browser, server, `engine=${engine}&backend=${backend}`);
      try {
        assert.equal(await page.evaluate(() => window.__sampleScene!.engine), engine);
        const empty = await canvasPixels(page);

        const start = Date.now();
        const stopFollowing = followProgress(page, engine);
        const summary: AvatarSummary = await page.evaluate(
          ([url, choice]) => window.__sampleScene!.createFromUrl(url, choice),
          [`/photos/${PHOTO.slice(1).join('/')}`, backend] as const,
        ).finally(stopFollowing);
        console.log(`      ${engine}: avatar in ${Date.now() - start} ms, inference ${summary.backend}, ${summary.vertexCount} vertices, `
          + `${summary.expressionNames.length} expressions; stages ${JSON.stringify(summary.timings, (_key, value) => typeof value === 'number' ? Math.round(value) : value)}`);
        assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
        if (backend === 'wasm') assert.equal(summary.backend, 'wasm');
        assert.ok(summary.expressionNames.includes('jawOpen'), `no jawOpen among ${summary.expressionNames.join(', ')}`);

        const withAvatar = await canvasPixels(page);
        const shot = path.join(artifactsDir, `sample-scene-${engine}.png`);
        await writeFile(shot, PNG.sync.write(withAvatar));
        const head = await page.evaluate(() => window.__sampleScene!.headBox());
        assert.ok(head, 'no head box');
        const headChange = changedFraction(empty, withAvatar, head);
        console.log(`      ${engine}: head box ${roundBox(head)}, ${(headChange * 100).toFixed(1)}% of it differs from the empty scene; screenshot ${path.relative(projectRoot, shot)}`);
        assert.ok(headChange > 0.3, `only ${(headChange * 100).toFixed(1)}% of the head box changed`);

        const mouth = await page.evaluate(() => window.__sampleScene!.expressionBox('jawOpen'));
        assert.ok(mouth, 'jawOpen moves no vertex');
        await page.locator('input[data-expression="jawOpen"]').fill('1');
        await page.evaluate(() => window.__sampleScene!.whenRendered());
        const jawOpen = await canvasPixels(page);
        const jawShot = path.join(artifactsDir, `sample-scene-${engine}-jaw-open.png`);
        await writeFile(jawShot, PNG.sync.write(jawOpen));
        const mouthChange = changedFraction(withAvatar, jawOpen, mouth);
        const leftOfHead = { left: 0, top: 0, width: head.left, height: withAvatar.height };
        const outsideHead = changedFraction(withAvatar, jawOpen, leftOfHead);
        console.log(`      ${engine}: jawOpen=1 changes ${(mouthChange * 100).toFixed(1)}% of the mouth box ${roundBox(mouth)}, `
          + `${(outsideHead * 100).toFixed(2)}% left of the head; screenshot ${path.relative(projectRoot, jawShot)}`);
        assert.ok(mouthChange > 0.05, `jawOpen changed only ${(mouthChange * 100).toFixed(1)}% of the mouth region`);
        assert.equal(jawOpen.width, withAvatar.width, 'the canvas changed size between the two captures');
        assert.ok(outsideHead < 0.001, `jawOpen changed ${(outsideHead * 100).toFixed(2)}% of the pixels left of the head `
          + `(mean colour ${meanColour(withAvatar, leftOfHead)} before, ${meanColour(jawOpen, leftOfHead)} after; see ${jawShot})`);
      } finally {
        await page.close();
      }
    });
  }

  it('made no request beyond loopback and logged no console errors', () => {
    console.log(`      blocked requests: ${browser.blockedRequests.length}, console errors: ${browser.consoleErrors.length}`);
    assert.deepEqual(browser.blockedRequests, []);
    assert.deepEqual(browser.consoleErrors, []);
  });
});
