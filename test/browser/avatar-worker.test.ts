/**
 * Avatar creation off the main thread, in headless Chromium on the sample scene: a real photo goes
 * through createAvatarFromPhoto with the library's worker (default) and then with `worker: false`,
 * in the same page, while a `longtask` PerformanceObserver and a requestAnimationFrame loop watch
 * the main thread. Run with `npm run build:sample && npx mocha test/browser/avatar-worker.test.ts`.
 *
 * With the worker, the pipeline (decode, inference, fitting, albedo: seconds of work) and the
 * build's arithmetic leave the main thread; what stays is buildAvatarInSlices creating the Babylon
 * objects from the worker's arrays in short steps with yields between them, whose longest task is
 * bounded by BUILD_TASK_BOUND_MS below. The frame gaps and the first frame after creation are
 * reported, not bounded: frames also wait on the software GPU process.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { AvatarSummary } from '../../sample-scene/main.js';
import { projectRoot, sharedPath } from '../helpers/shared-data.js';
import { openScene } from './canvas-pixels.js';
import { launchSealedChromium, requireChromiumAndSample, serveStatic, type SealedBrowser, type StaticServer } from './harness.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;
const PHOTO_URL = `/${PHOTO.join('/')}`;
/** The skin's subsurface option for every avatar here: PHOTO_AVATAR_SUBSURFACE=scattering measures Babylon's scattering prepass. */
const SUBSURFACE = (process.env.PHOTO_AVATAR_SUBSURFACE ?? 'translucency') as 'scattering' | 'translucency' | 'off';
/**
 * Longest main-thread task allowed while an avatar is made with the worker. The build runs in
 * slices of about 10 ms (src/steps.ts) but some work stays whole: the upload of the
 * morph-target texture (52 targets, 29 MB; its fill is spread over the steps), 0.13-0.46 s in
 * Chromium on SwiftShader on this shared 2-core machine, and each new shader variant, compiled one
 * per task before the avatar is shown (0.1-0.4 s; on SwiftShader's WebGL2 each link blocks). In
 * the runs of 2026-12-07 each creation had 0-2 tasks over the issue's goal of 50 ms, none over
 * 77 ms, with the skin's scattering prepass or without. The bound stays loose for loaded
 * machines; the ratios below, taken against the same run's main-thread path, carry the comparison
 * whatever the machine's load.
 */
const BUILD_TASK_BOUND_MS = 2_500;

interface MainThreadWatch {
  summary: AvatarSummary;
  /** Long tasks (start ms relative to the creation's start, duration ms) until the avatar was in the scene. */
  creationTasks: { start: number; duration: number }[];
  /** Long tasks from then until its first frame was drawn. */
  firstFrameTasks: { start: number; duration: number }[];
  /** Longest gap between animation frames while the avatar was made, ms. */
  maxFrameGapMs: number;
  frames: number;
  creationMs: number;
}

/** Creates an avatar from `url` in the page while watching its main thread. */
function watchCreation(page: Page, url: string, worker: boolean): Promise<MainThreadWatch> {
  return page.evaluate(async ({ url, worker, subsurface }) => {
    const tasks: { start: number; duration: number }[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, duration: entry.duration });
    });
    observer.observe({ type: 'longtask' });
    let creating = true, frames = 0, maxFrameGapMs = 0, lastFrame = performance.now();
    const tick = (now: number) => {
      if (!creating) return;
      maxFrameGapMs = Math.max(maxFrameGapMs, now - lastFrame);
      lastFrame = now;
      frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const start = performance.now();
    const summary = await window.__sampleScene!.createFromUrl(url, 'wasm', { worker, subsurface });
    creating = false;
    const end = performance.now();
    // Long-task entries arrive after their task: give the observer a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const entry of observer.takeRecords()) tasks.push({ start: entry.startTime, duration: entry.duration });
    observer.disconnect();
    const relative = (task: { start: number; duration: number }) => ({ start: task.start - start, duration: task.duration });
    return {
      summary,
      creationTasks: tasks.filter((task) => task.start >= start && task.start < summary.createdAt).map(relative),
      firstFrameTasks: tasks.filter((task) => task.start >= summary.createdAt && task.start < end).map(relative),
      maxFrameGapMs: Math.max(maxFrameGapMs, summary.createdAt - lastFrame),
      frames,
      creationMs: summary.createdAt - start,
    };
  }, { url, worker, subsurface: SUBSURFACE });
}

const total = (tasks: { duration: number }[]) => tasks.reduce((sum, task) => sum + task.duration, 0);
const longest = (tasks: { duration: number }[]) => tasks.reduce((most, task) => Math.max(most, task.duration), 0);

function describeWatch(label: string, watch: MainThreadWatch): string {
  const t = watch.summary.timings;
  const pipeline = ['load', 'detect', 'landmarks', 'fit', 'albedo'].map((stage) => `${stage} ${((t[stage] ?? 0) / 1000).toFixed(1)}`).join(', ');
  return `${label}: ${(watch.creationMs / 1000).toFixed(1)} s to the avatar (${pipeline} s; build ${(t.build ?? 0).toFixed(0)} ms`
    + ` = ${(t['build.work'] ?? 0).toFixed(0)} ms of steps, longest step ${(t['build.longestStep'] ?? 0).toFixed(0)} ms, longest slice ${(t['build.longestSlice'] ?? 0).toFixed(0)} ms, + shaders and yields`
    + `${t.worker !== undefined ? `; worker round trip ${(t.worker / 1000).toFixed(2)} s = its pipeline ${((t.total ?? 0) / 1000).toFixed(2)} s`
      + ` + photo decode ${(t.decode ?? 0).toFixed(0)} ms + build arrays ${(t['build.arrays'] ?? 0).toFixed(0)} ms + the rest (start-up, messages) ${(t.worker - t.total - (t.decode ?? 0) - (t['build.arrays'] ?? 0)).toFixed(0)} ms` : ''}). `
    + `Main thread while creating: ${watch.creationTasks.length} long tasks, longest ${longest(watch.creationTasks).toFixed(0)} ms, `
    + `${total(watch.creationTasks).toFixed(0)} ms in all (${watch.creationTasks.map((task) => task.duration.toFixed(0)).join(', ')}); longest frame gap ${watch.maxFrameGapMs.toFixed(0)} ms over ${watch.frames} frames. `
    + `First frame: ${watch.firstFrameTasks.length} long tasks, longest ${longest(watch.firstFrameTasks).toFixed(0)} ms`;
}

describe('avatar creation in the worker keeps the main thread free @browser', function () {
  this.timeout(900_000);
  let server: StaticServer;
  let browser: SealedBrowser;
  let page: Page;

  before(function () {
    requireChromiumAndSample(this, distDir, ...PHOTO);
  });

  before(async function () {
    server = await serveStatic({ '/photos/': sharedPath('photos'), '/': distDir });
    browser = await launchSealedChromium();
    page = await openScene(browser, server, 'engine=webgl2');
    // tsx compiles the page callbacks below with esbuild's keepNames, which wraps named functions
    // in a __name helper the page lacks.
    await page.evaluate('window.__name = (fn) => fn');
  });

  after(async () => {
    await page?.close();
    await browser?.close();
    await server?.close();
  });

  it('leaves only the sliced build on the main thread, reuses the worker, and compares with the main-thread path', async function () {
    const cold = await watchCreation(page, PHOTO_URL, true);
    console.log(`      ${describeWatch('worker, cold', cold)}`);
    const warm = await watchCreation(page, PHOTO_URL, true);
    console.log(`      ${describeWatch('worker, warm (same worker)', warm)}`);
    const inline = await watchCreation(page, PHOTO_URL, false);
    console.log(`      ${describeWatch('main thread (worker: false)', inline)}`);

    for (const [label, watch] of [['cold', cold], ['warm', warm]] as const) {
      assert.equal(watch.summary.backend, 'wasm');
      assert.ok(watch.summary.timings.worker > 0, `${label}: the worker did not run the pipeline`);
      assert.ok(watch.summary.vertexCount > 10_000, `${label}: ${watch.summary.vertexCount} vertices`);
      assert.ok(longest(watch.creationTasks) <= BUILD_TASK_BOUND_MS, `${label}: a ${longest(watch.creationTasks).toFixed(0)} ms main-thread task`);
      // The build itself ran in several tasks, none longer than the bound.
      assert.ok(watch.summary.timings['build.longestSlice'] <= BUILD_TASK_BOUND_MS, `${label}: a ${watch.summary.timings['build.longestSlice'].toFixed(0)} ms build slice`);
      assert.ok(watch.summary.timings['build.longestSlice'] < watch.summary.timings['build.work'], `${label}: the build ran in one task`);
      // The pipeline's blocking is gone: what is left is the build, a fraction of the inline path's longest task.
      assert.ok(longest(watch.creationTasks) < 0.5 * longest(inline.creationTasks), `${label}: longest task ${longest(watch.creationTasks).toFixed(0)} ms vs ${longest(inline.creationTasks).toFixed(0)} ms without the worker`);
    }
    assert.ok(total(warm.creationTasks) < 0.25 * total(inline.creationTasks), `warm: ${total(warm.creationTasks).toFixed(0)} ms of long tasks vs ${total(inline.creationTasks).toFixed(0)} ms without the worker`);
    assert.ok(total(cold.creationTasks) < 0.5 * total(inline.creationTasks), `cold: ${total(cold.creationTasks).toFixed(0)} ms of long tasks vs ${total(inline.creationTasks).toFixed(0)} ms without the worker`);
    assert.equal(inline.summary.timings.worker, undefined, 'worker: false ran in the worker');
    assert.deepEqual(browser.blockedRequests, []);
    assert.deepEqual(browser.consoleErrors, []);
  });

  it('rejects with a PhotoAvatarError from the worker: a file that is no image, and a worker silent past its timeout', async function () {
    const failures = await page.evaluate(async (photo) => {
      const hooks = window.__sampleScene!;
      const attempt = (run: () => Promise<unknown>) => run().then(() => 'resolved', (error: Error) => `${error.name}: ${error.message}`);
      const notImage = URL.createObjectURL(new Blob([new Uint8Array(64)], { type: 'image/jpeg' }));
      return {
        notImage: await attempt(() => hooks.createFromUrl(notImage, 'wasm')),
        silent: await attempt(() => hooks.createFromUrl(photo, 'wasm', { workerTimeoutMs: 1 })),
      };
    }, PHOTO_URL);
    console.log(`      not an image: ${failures.notImage}\n      1 ms timeout: ${failures.silent}`);
    assert.match(failures.notImage, /^PhotoAvatarError: The browser could not decode/);
    assert.match(failures.silent, /^PhotoAvatarError: The avatar worker sent nothing for 0 s and was terminated/);
    // The panel showed both failures on the page; the next avatar starts a fresh worker.
    const again = await watchCreation(page, PHOTO_URL, true);
    console.log(`      ${describeWatch('worker, restarted', again)}`);
    assert.ok(again.summary.timings.worker > 0);
  });
});
