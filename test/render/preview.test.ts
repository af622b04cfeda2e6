import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../../src/image/encode.js';
import { renderPreview } from '../../src/render/preview.js';
import type { RgbaImage } from '../../src/types.js';
import { loadTestHeadModel, makeAvatarData, syntheticHeadModel } from '../export/synthetic-avatar.js';

function pixel(image: RgbaImage, x: number, y: number): number[] {
  const o = (y * image.width + x) * 4;
  return [image.data[o], image.data[o + 1], image.data[o + 2], image.data[o + 3]];
}

/** Fraction of pixels in the column range that differ from the background. */
function coverage(image: RgbaImage, x0: number, x1: number, background: number[]): number {
  let covered = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = pixel(image, x, y);
      if (Math.abs(r - background[0]) + Math.abs(g - background[1]) + Math.abs(b - background[2]) > 6) covered++;
    }
  }
  return covered / ((x1 - x0) * image.height);
}

for (const variant of ['synthetic head', 'default head'] as const) describe(`render/preview (${variant})`, function () {
  it('renders front and three-quarter views on a grey background', async function () {
    const loaded = variant === 'synthetic head' ? { model: syntheticHeadModel(), source: variant } : await loadTestHeadModel();
    if (loaded.source !== variant) {
      console.log(`    skipped: ${variant} unavailable`);
      this.skip();
    }
    const data = makeAvatarData(loaded.model);
    const start = performance.now();
    const image = renderPreview(data, { width: 640, height: 320 });
    const ms = performance.now() - start;
    assert.equal(image.width, 640);
    assert.equal(image.height, 320);
    const background = pixel(image, 2, 2);
    assert.deepEqual(background, [128, 128, 128, 255]);
    const front = coverage(image, 0, 320, background);
    const threeQuarter = coverage(image, 320, 640, background);
    // The head is in the middle of each view.
    const centre = pixel(image, 160, 160);
    const out = path.join(os.tmpdir(), 'photo-avatar-preview');
    mkdirSync(out, { recursive: true });
    const file = path.join(out, `${variant.replace(/ /g, '-')}.png`);
    writeFileSync(file, encodePng(image));
    console.log(`    ${variant}: ${ms.toFixed(0)} ms for 640x320, head covers ${(front * 100).toFixed(1)}% (front) / ${(threeQuarter * 100).toFixed(1)}% (3/4) of each view, centre pixel ${centre.slice(0, 3).join(',')}; wrote ${file}`);
    assert.ok(front > 0.15 && front < 0.8, `front coverage ${front}`);
    assert.ok(threeQuarter > 0.15 && threeQuarter < 0.8, `3/4 coverage ${threeQuarter}`);
    assert.notDeepEqual(centre, background);
    assert.throws(() => renderPreview(data, { width: 4 }), /Preview size/);
  });
});
