/**
 * The photo-sized mask passes of a create (person mask upsampling, skin mask, hair removal) against
 * the straightforward per-pixel forms they replaced: the same bytes on masks of blobs, at equal and
 * unequal mask sizes and several margins.
 */
import assert from 'node:assert/strict';
import type { Mask } from '../../src/types.js';
import { hairSilhouette, withoutHair, type HairSegmentation } from '../../src/hair/photo-hair.js';
import { buildSkinMask, personProbabilityToImage } from '../../src/inference/face/skin-mask.js';
import { sampleBilinear } from '../../src/image/resize.js';
import { FACE_OVAL } from '../../src/inference/face/mesh-regions.js';
import { seededRandom } from '../helpers/random.js';

/** A mask of `count` filled discs at random places. */
function blobs(width: number, height: number, count: number, random: () => number): Mask {
  const data = new Uint8Array(width * height);
  for (let n = 0; n < count; n++) {
    const cx = random() * width, cy = random() * height, r = 2 + random() * 0.2 * Math.min(width, height);
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(height, cy + r); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(width, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * width + x] = 255;
    }
  }
  return { width, height, data };
}

/** withoutHair as first written: each set pixel searches the sparse square of offsets itself. */
function withoutHairPerPixel(mask: Mask, hair: Mask, margin: number): Uint8Array {
  const out = Uint8Array.from(mask.data);
  const sx = hair.width / mask.width, sy = hair.height / mask.height;
  const r = Math.max(0, Math.round(margin / sx));
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) {
    if (!out[y * mask.width + x]) continue;
    search: for (let dy = -r; dy <= r; dy += Math.max(1, r >> 1)) for (let dx = -r; dx <= r; dx += Math.max(1, r >> 1)) {
      const hx = Math.floor((x + dx + 0.5) * sx), hy = Math.floor((y + dy + 0.5) * sy);
      if (hx < 0 || hy < 0 || hx >= hair.width || hy >= hair.height) continue;
      if (hair.data[hy * hair.width + hx]) { out[y * mask.width + x] = 0; break search; }
    }
  }
  return out;
}

const differing = (a: Uint8Array, b: Uint8Array): number => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

describe('photo masks: the fast passes give the per-pixel forms\' bytes', () => {
  it('withoutHair, at equal and unequal sizes and margins 0 to 16 pixels', () => {
    const random = seededRandom(13);
    let removed = 0;
    for (const [hairWidth, hairHeight] of [[160, 120], [80, 60], [240, 181]]) {
      for (const margin of [0, 1, 3, 7.4, 16]) {
        const mask = blobs(160, 120, 6, random), hair = blobs(hairWidth, hairHeight, 4, random);
        const fast = withoutHair(mask, hair, margin).data, reference = withoutHairPerPixel(mask, hair, margin);
        assert.equal(differing(fast, reference), 0, `hair ${hairWidth}x${hairHeight}, margin ${margin}`);
        removed += differing(mask.data, fast);
        const inPlace = Uint8Array.from(mask.data);
        assert.equal(differing(withoutHair({ ...mask, data: inPlace }, hair, margin, inPlace).data, reference), 0, 'written over the mask itself');
      }
    }
    assert.ok(removed > 1000, `the hair took ${removed} pixels out of the masks: the cases exercise the search`);
    const empty: Mask = { width: 40, height: 30, data: new Uint8Array(1200) };
    assert.deepEqual(withoutHair(empty, blobs(40, 30, 3, random), 4).data, empty.data);
  });

  it('hairSilhouette counts a mask\'s hair and finds its top row, whatever its bytes\' alignment', () => {
    const random = seededRandom(21);
    const frame = { top: 40, chin: 110, browY: 60, centreX: 90, width: 60, height: 70 };
    const headRows = { top: 35, left: new Float32Array(150).fill(60), right: new Float32Array(150).fill(120) };
    for (const offset of [0, 1, 3]) {
      // A view at `offset` bytes into its buffer (an odd width puts the rows off four-byte boundaries too).
      const hair = blobs(181, 150, 3, random), data = new Uint8Array(hair.data.length + offset).subarray(offset);
      data.set(hair.data);
      let count = 0, top = -1;
      hair.data.forEach((v, i) => { if (v) { count++; if (top < 0) top = Math.floor(i / 181); } });
      assert.ok(count > 100);
      const silhouette = hairSilhouette({ mask: { width: 181, height: 150, data }, frame } as HairSegmentation, headRows);
      assert.equal(silhouette.area, count / (0.785 * frame.width * frame.height));
      assert.equal(silhouette.volume, (headRows.top - top) / frame.height);
    }
  });

  it('personProbabilityToImage, upsampled and downsampled', () => {
    const random = seededRandom(7);
    for (const [gridW, gridH, width, height] of [[32, 24, 301, 197], [32, 32, 20, 45], [16, 16, 16, 16]]) {
      // Saturated like the selfie model's output (a person's blob near 1, background near 0), with noise at the blob's rim.
      const probability = Float32Array.from({ length: gridW * gridH }, (_, i) => {
        const r = Math.hypot((i % gridW) / gridW - 0.5, Math.floor(i / gridW) / gridH - 0.5);
        return r < 0.25 ? 0.99 + 0.01 * random() : r > 0.4 ? 0.01 * random() : random();
      });
      const fast = personProbabilityToImage(probability, gridW, gridH, width, height).data;
      const reference = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
        const p = sampleBilinear(probability, gridW, gridH, (x + 0.5) * (gridW / width) - 0.5, (y + 0.5) * (gridH / height) - 0.5);
        if (p >= 0.5) reference[y * width + x] = 255;
      }
      assert.equal(differing(fast, reference), 0, `${gridW}x${gridH} -> ${width}x${height}`);
      const set = fast.reduce((n, v) => n + (v ? 1 : 0), 0);
      assert.ok(set > 0.2 * fast.length && set < 0.8 * fast.length, `${set} of ${fast.length} set`);
    }
  });

  it('buildSkinMask reads only the face oval\'s box: the person mask trims it as over the whole image', () => {
    const random = seededRandom(3);
    // 468 points in a 200x160 image: the oval's on an ellipse, in order, the others scattered inside it.
    const landmarks = Float32Array.from({ length: 468 * 3 }, (_, i) => (i % 3 === 0 ? 80 + 40 * random() : i % 3 === 1 ? 50 + 60 * random() : 0));
    FACE_OVAL.forEach((index, k) => {
      const angle = (2 * Math.PI * k) / FACE_OVAL.length;
      landmarks[3 * index] = 100 + 55 * Math.cos(angle);
      landmarks[3 * index + 1] = 80 + 70 * Math.sin(angle);
    });
    // A person mask missing the image's left part: trimming when it holds most of the polygons, ignored when not.
    const personRightOf = (column: number): Mask => ({ width: 200, height: 160, data: Uint8Array.from({ length: 200 * 160 }, (_, i) => (i % 200 >= column ? 255 : 0)) });
    const full = personRightOf(0);
    for (const [column, trims] of [[85, true], [125, false]] as const) {
      const person = personRightOf(column);
      for (const keepFeatures of [false, true]) {
        const mask = buildSkinMask(landmarks, person, { keepFeatures }).data;
        const oval = buildSkinMask(landmarks, full, { keepFeatures }).data;
        let inside = 0, kept = 0;
        for (let i = 0; i < oval.length; i++) if (oval[i]) { inside++; if (person.data[i]) kept++; }
        assert.ok(inside > 5000, `${inside} pixels in the polygons`);
        assert.equal(kept >= 0.5 * inside, trims, `${kept} of ${inside} in the person mask`);
        const expected = trims ? oval.map((v, i) => (person.data[i] ? v : 0)) : oval;
        assert.equal(differing(mask, expected), 0, `keepFeatures ${keepFeatures}, person mask from column ${column}`);
      }
    }
  });
});
