/**
 * Pixel helpers for the sample-scene browser tests: open the page, capture the canvas as the user
 * sees it, and measure how much of a screen box changed between two captures.
 */
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import type { SealedBrowser, StaticServer } from './harness.js';
import type { ScreenBox } from '../../sample-scene/avatar-controller.js';

/** A channel must move this much (0..255) for a pixel to count as changed; absorbs dithering. */
export const PIXEL_TOLERANCE = 12;

// page.evaluate callbacks run in the page, where main.ts has set window.__sampleScene!.

export async function openScene(browser: SealedBrowser, server: StaticServer, query: string): Promise<Page> {
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
export async function canvasPixels(page: Page): Promise<PNG> {
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

function clampBox(image: PNG, box: ScreenBox): { left: number; top: number; right: number; bottom: number } {
  return {
    left: Math.max(0, Math.floor(box.left)),
    top: Math.max(0, Math.floor(box.top)),
    right: Math.min(image.width, Math.ceil(box.left + box.width)),
    bottom: Math.min(image.height, Math.ceil(box.top + box.height)),
  };
}

/** Fraction of pixels inside `box` where some channel differs by more than the tolerance. */
export function changedFraction(a: PNG, b: PNG, box: ScreenBox): number {
  const { left, top, right, bottom } = clampBox(a, box);
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

/** Mean RGB (0..255) inside `box`. */
export function meanRgb(image: PNG, box: ScreenBox): [number, number, number] {
  const { left, top, right, bottom } = clampBox(image, box);
  const sums: [number, number, number] = [0, 0, 0];
  let count = 0;
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const i = (y * image.width + x) * 4;
      for (let c = 0; c < 3; c++) sums[c] += image.data[i + c];
      count++;
    }
  }
  return sums.map((sum) => sum / Math.max(1, count)) as [number, number, number];
}

/** Mean RGB inside `box`, for failure messages that say what changed. */
export function meanColour(image: PNG, box: ScreenBox): string {
  return meanRgb(image, box).map((value) => Math.round(value)).join(',');
}

export function roundBox(box: ScreenBox): string {
  return `${Math.round(box.left)},${Math.round(box.top)} ${Math.round(box.width)}x${Math.round(box.height)}`;
}

/** Prints the photo panel's stage line whenever it changes, so slow runs show where they are in CI logs. */
export function followProgress(page: Page, label: string): () => void {
  let last = '';
  const started = Date.now();
  const timer = setInterval(() => {
    page.textContent('.pavatar-stage-label').then((text) => {
      if (text && text !== last) console.log(`      ${label} +${Math.round((Date.now() - started) / 1000)} s: ${text}`);
      last = text ?? last;
    }, () => undefined);
  }, 5000);
  return () => clearInterval(timer);
}

/**
 * Share of the head's outline pixels that blend the background with the head (antialiasing): over
 * the middle half of the head box's rows, on both sides, the first pixel in from the side that
 * differs from the empty scene, placed by its colour between the background there and the head
 * 3 pixels further in (0 background, 1 head). A render without antialiasing steps straight from
 * one to the other, so its edge pixels sit at the head's end.
 */
export function outlineBlendShare(empty: PNG, image: PNG, box: ScreenBox): number {
  const { left, top, right, bottom } = clampBox(image, box);
  const pixel = (png: PNG, x: number, y: number) => [0, 1, 2].map((c) => png.data[(y * png.width + x) * 4 + c]);
  let rows = 0, blended = 0;
  for (let y = Math.round(top + (bottom - top) / 4); y < Math.round(bottom - (bottom - top) / 4); y++) {
    for (const [start, step] of [[Math.max(0, left - 4), 1], [Math.min(image.width - 1, right + 3), -1]] as const) {
      let x = start;
      const differs = (at: number) => pixel(image, at, y).reduce((sum, v, c) => sum + Math.abs(v - pixel(empty, at, y)[c]), 0) > 3 * PIXEL_TOLERANCE;
      while (x > 0 && x < image.width - 4 && !differs(x)) x += step;
      const inner = x + 3 * step;
      if (inner < 0 || inner >= image.width) continue;
      const background = pixel(empty, x, y), head = pixel(image, inner, y), edge = pixel(image, x, y);
      const span = head.map((v, c) => v - background[c]);
      const length = span.reduce((sum, v) => sum + v * v, 0);
      if (length < 30 * 30) continue;
      const t = edge.reduce((sum, v, c) => sum + (v - background[c]) * span[c], 0) / length;
      rows++;
      if (t > 0.1 && t < 0.85) blended++;
    }
  }
  return rows === 0 ? 0 : blended / rows;
}

/**
 * Of the pixels inside `box` that differ between `before` and `after`, the share that are pale
 * grey in `after` (sRGB luma over 90, channels within 20 of each other): in an opened mouth, the
 * teeth, and any surface mirroring the environment's light where only darkness should be.
 */
export function paleGreyShare(before: PNG, after: PNG, box: ScreenBox): number {
  const { left, top, right, bottom } = clampBox(after, box);
  let changed = 0, pale = 0;
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const i = (y * after.width + x) * 4;
      const r = after.data[i], g = after.data[i + 1], b = after.data[i + 2];
      if (Math.abs(r - before.data[i]) + Math.abs(g - before.data[i + 1]) + Math.abs(b - before.data[i + 2]) <= 5 * PIXEL_TOLERANCE) continue;
      changed++;
      if (0.2126 * r + 0.7152 * g + 0.0722 * b > 90 && Math.max(r, g, b) - Math.min(r, g, b) < 20) pale++;
    }
  }
  return changed === 0 ? 0 : pale / changed;
}
