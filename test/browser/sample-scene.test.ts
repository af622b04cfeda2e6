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
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { CHROMIUM_PATH, hasChromium, launchSealedChromium, serveStatic, type SealedBrowser, type StaticServer } from './harness.js';
import { canvasPixels, changedFraction, followProgress, meanColour, openScene, outlineBlendShare, paleGreyShare, roundBox } from './canvas-pixels.js';
import { checkDownloadsAndAccept, checkEnvironments, checkFacePicker, checkHair, checkPanel, checkPresets, checkSamplePhotoButton } from './editor-action-checks.js';
import type { AvatarSummary } from '../../sample-scene/main.js';
import type { Page } from 'playwright-core';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const artifactsDir = path.join(projectRoot, 'test-artifacts');
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;

describe('sample scene in headless Chromium @browser', function () {
  this.timeout(900_000);
  let server: StaticServer;
  let browser: SealedBrowser;
  /** The WebGL2 case's page, kept open with its avatar for the editor-action checks. */
  let webgl2Page: Page | undefined;
  /** Share of the WebGL2 case's head outline that is antialiased (outlineBlendShare). */
  let webgl2Outline: number | undefined;

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
    await webgl2Page?.close();
    await browser?.close();
    await server?.close();
  });

  // 'webgpu' forced: 'auto' picks WASM on SwiftShader, a software adapter (runtime.ts).
  it('runs onnxruntime-web on the WebGPU execution provider with correct numbers', async () => {
    const page = await openScene(browser, server, 'engine=webgpu');
    try {
      const start = Date.now();
      const probe = await page.evaluate(() => window.__sampleScene!.probeInference('webgpu'));
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
      let keepOpen = false;
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
        // The canvas's antialiasing reaches the head: Babylon's prepass (screen-space scattering, opt-in) draws without it.
        const blendedOutline = outlineBlendShare(empty, withAvatar, head);
        console.log(`      ${engine}: ${(blendedOutline * 100).toFixed(0)}% of the head's outline pixels blend it with the background`);
        assert.ok(blendedOutline > 0.45, `only ${(blendedOutline * 100).toFixed(0)}% of the head's outline is antialiased`);
        if (engine === 'webgl2') webgl2Outline = blendedOutline;

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
        // The opened mouth is dark but for the teeth: the pocket's occlusion (roughness map's red
        // channel) and the rough tongue keep the environment's light out (pale grey: 8.6% before).
        const pale = paleGreyShare(withAvatar, jawOpen, mouth);
        console.log(`      ${engine}: ${(pale * 100).toFixed(1)}% of what jawOpen changed is pale grey (the teeth)`);
        assert.ok(pale < 0.06, `${(pale * 100).toFixed(1)}% of the opened mouth is pale grey: the environment shows inside it (see ${jawShot})`);
        assert.equal(jawOpen.width, withAvatar.width, 'the canvas changed size between the two captures');
        assert.ok(outsideHead < 0.001, `jawOpen changed ${(outsideHead * 100).toFixed(2)}% of the pixels left of the head `
          + `(mean colour ${meanColour(withAvatar, leftOfHead)} before, ${meanColour(jawOpen, leftOfHead)} after; see ${jawShot})`);
        keepOpen = engine === 'webgl2';
      } finally {
        if (keepOpen) webgl2Page = page;
        else await page.close();
      }
    });
  }

  // The editor action and the page's extras reuse the WebGL2 avatar instead of paying for another.
  describeExtras('editor action panel: preview state, stage list, labelled controls, webcam absence explained', (page) => checkPanel(page));
  describeExtras('environments (studio, outdoor, dim indoor) relight the head', (page) => checkEnvironments(page));
  describeExtras('expression presets move the eyes and mouth, sliders follow', (page) => checkPresets(page));
  describeExtras('the panel\'s hair picker and colour swatch restyle, retint and remove the hair', (page) => checkHair(page));
  describeExtras('editor action downloads a parseable .avatar and a .glb, and Accept keeps the head',
    (page) => checkDownloadsAndAccept(page, path.parse(PHOTO[PHOTO.length - 1]).name));
  describeExtras('the panel\'s face picker lists the group photo\'s faces and makes another face\'s avatar', (page) => checkFacePicker(page));
  describeExtras('"Try the sample photo" makes an avatar of the photo the package ships, its three faces in the picker', (page) => checkSamplePhotoButton(page));

  // Why scattering is opt-in (BuildAvatarOptions.subsurface): Babylon's prepass draws without the canvas's antialiasing.
  it('webgl2: screen-space scattering (opt-in) turns on Babylon\'s prepass, which draws the head without antialiasing', async function () {
    if (webgl2Outline === undefined) this.skip();
    const page = await openScene(browser, server, 'engine=webgl2&backend=wasm');
    try {
      await page.evaluate((url) => window.__sampleScene!.createFromUrl(url, 'wasm', { subsurface: 'scattering' }), `/photos/${PHOTO.slice(1).join('/')}`);
      const withAvatar = await canvasPixels(page);
      // The background as the prepass draws it: its image processing also tints the clear colour.
      await page.evaluate(() => window.__sampleScene!.setAvatarVisible(false));
      const empty = await canvasPixels(page);
      const shot = path.join(artifactsDir, 'sample-scene-webgl2-scattering.png');
      await writeFile(shot, PNG.sync.write(withAvatar));
      const head = await page.evaluate(() => window.__sampleScene!.headBox());
      assert.ok(head, 'no head box');
      const blendedOutline = outlineBlendShare(empty, withAvatar, head);
      console.log(`      with scattering ${(blendedOutline * 100).toFixed(0)}% of the head's outline pixels blend it with the background, `
        + `against ${(webgl2Outline! * 100).toFixed(0)}% by default; screenshot ${path.relative(projectRoot, shot)}`);
      assert.ok(blendedOutline < webgl2Outline! - 0.2, 'the scattering prepass now keeps the antialiasing: reconsider the subsurface default');
    } finally {
      await page.close();
    }
  });

  function describeExtras(title: string, check: (page: Page) => Promise<void>): void {
    it(`webgl2: ${title}`, async function () {
      if (!webgl2Page) {
        console.log('      skipped: the webgl2 case did not leave an avatar to check');
        this.skip();
      }
      await check(webgl2Page);
    });
  }

  it('made no request beyond loopback and logged no console errors', () => {
    console.log(`      blocked requests: ${browser.blockedRequests.length}, console errors: ${browser.consoleErrors.length}`);
    assert.deepEqual(browser.blockedRequests, []);
    assert.deepEqual(browser.consoleErrors, []);
  });
});
