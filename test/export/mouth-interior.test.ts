import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findMouthInterior, mouthInteriorTint, mouthInteriorTintFor, mouthOcclusion } from '../../src/export/mouth-interior.js';
import { writeGlb } from '../../src/export/glb.js';
import { computeRoughnessMap } from '../../src/materials/roughness.js';
import { getUvRaster } from '../../src/albedo/unwrap.js';
import { encodePng } from '../../src/image/encode.js';
import { renderPreview } from '../../src/render/preview.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { projectRoot } from '../helpers/shared-data.js';
import { defaultHeadOrSkip, makeAvatarData, syntheticHeadModel } from './synthetic-avatar.js';

function meanColour(image: RgbaImage, pixels: number[]): [number, number, number] {
  const sum = [0, 0, 0];
  for (const p of pixels) for (let c = 0; c < 3; c++) sum[c] += image.data[4 * p + c];
  return sum.map((s) => s / pixels.length) as [number, number, number];
}

describe('export/mouth-interior', function () {
  let data: AvatarData;
  before(async function () {
    data = makeAvatarData(await defaultHeadOrSkip(this));
  });

  it('finds the default head\'s mouth pocket behind the lips and nothing in front of them', function () {
    const { model } = data;
    const interior = findMouthInterior(model, data.neutralVertices);
    const lm = model.landmarks68;
    const lipFront = Math.max(data.neutralVertices[3 * lm[62] + 2], data.neutralVertices[3 * lm[66] + 2]);
    let count = 0, frontmost = -Infinity, lowest = Infinity, highest = -Infinity;
    for (let v = 0; v < model.vertexCount; v++) {
      if (interior.depth[v] < 0) continue;
      count++;
      frontmost = Math.max(frontmost, data.neutralVertices[3 * v + 2]);
      // The MakeHuman cavity goes on down the throat: the height is checked on its front, within a mouth width of the lips.
      if (interior.depth[v] > interior.mouthWidth) continue;
      lowest = Math.min(lowest, data.neutralVertices[3 * v + 1]);
      highest = Math.max(highest, data.neutralVertices[3 * v + 1]);
    }
    console.log(`    pocket: ${count} vertices, ${interior.triangles.length} triangles, front ${((lipFront - frontmost) * 1000).toFixed(1)} mm behind the lips, height ${((highest - lowest) * 1000).toFixed(1)} mm within a mouth width of them (mouth width ${(interior.mouthWidth * 1000).toFixed(1)} mm)`);
    assert.ok(count > 200 && interior.triangles.length > 200);
    assert.ok(frontmost < lipFront - 0.003, 'the pocket lies behind the lips');
    // hm08's cavity is a bag from the palate (about 4 cm above the mouth line) to the throat: 67.5 mm
    // of it lie within a mouth width of the lips; a leak onto chin or nose would reach far further.
    assert.ok(highest - lowest < 1.5 * interior.mouthWidth, 'the pocket stays around the mouth');
    // A pack without landmarks or without a pocket gets no fill.
    const synthetic = syntheticHeadModel();
    const none = findMouthInterior({ ...synthetic, landmarks68: new Uint32Array(0) }, synthetic.positions);
    assert.equal(none.triangles.length, 0);
    assert.equal(mouthInteriorTint(none), null);
  });

  it('an opened mouth shows a dark cavity instead of skin in the software preview, a closed one nothing', async function () {
    const { model } = data;
    const tint = mouthInteriorTint(findMouthInterior(model, data.neutralVertices))!;
    let tinted = 0;
    for (let v = 0; v < model.vertexCount; v++) if (tint[3 * v] < 1) tinted++;
    const jawOpen = new Float32Array(model.expressionNames.length);
    jawOpen[model.expressionNames.indexOf('jawOpen')] = 1;
    const closed = new Float32Array(model.expressionNames.length);
    const render = (expression: Float32Array, mouthInterior: boolean) => renderPreview(data, { width: 512, height: 256, expression, mouthInterior });
    const changedPixels = (a: RgbaImage, b: RgbaImage) => {
      const pixels: number[] = [];
      for (let p = 0; p < a.width * a.height; p++) {
        if (Math.max(Math.abs(a.data[4 * p] - b.data[4 * p]), Math.abs(a.data[4 * p + 1] - b.data[4 * p + 1]), Math.abs(a.data[4 * p + 2] - b.data[4 * p + 2])) > 8) pixels.push(p);
      }
      return pixels;
    };
    const before = render(jawOpen, false), after = render(jawOpen, true);
    const region = changedPixels(before, after);
    const closedChange = changedPixels(render(closed, false), render(closed, true)).length;
    const meanBefore = meanColour(before, region), meanAfter = meanColour(after, region);
    const rows = region.map((p) => Math.floor(p / before.width));
    const centreRow = rows.reduce((a, b) => a + b, 0) / Math.max(1, rows.length);
    const luminance = (c: number[]) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    console.log(`    ${tinted} tinted vertices; jawOpen: mouth region ${region.length} px around row ${centreRow.toFixed(0)} of ${before.height}, mean sRGB before (${meanBefore.map((c) => c.toFixed(0)).join(', ')}), after (${meanAfter.map((c) => c.toFixed(0)).join(', ')}); closed mouth: ${closedChange} px change`);
    const artifacts = path.join(projectRoot, 'test-artifacts');
    await mkdir(artifacts, { recursive: true });
    await writeFile(path.join(artifacts, 'mouth-interior-before.png'), encodePng(before));
    await writeFile(path.join(artifacts, 'mouth-interior-after.png'), encodePng(after));
    assert.ok(region.length > 100, 'the opened mouth shows the pocket');
    assert.ok(centreRow > 0.5 * before.height && centreRow < 0.85 * before.height, 'at mouth height');
    // The MakeHuman head's teeth fill most of the opening: what changes is the gaps around them and
    // the lips' inner rim (mucosa red, not throat-dark), measured at 0.51 of the untinted luminance.
    assert.ok(luminance(meanAfter) < 0.6 * luminance(meanBefore), 'the cavity is dark');
    assert.ok(meanAfter[0] > meanAfter[2], 'and reddish');
    // A closed mouth shows only the lip line (the pocket's rim just behind the lips).
    assert.ok(closedChange < 0.3 * region.length, 'a closed mouth hides most of it');
  });
  it('darkens the pocket in the roughness map\'s occlusion channel, which the GLB\'s skin material shares as its occlusion texture', function () {
    const { model } = data;
    const tint = mouthInteriorTintFor(model, data.neutralVertices)!;
    const { image } = computeRoughnessMap(model, data.neutralVertices, data.albedo, { size: 256, occlusion: mouthOcclusion(tint) });
    const raster = getUvRaster(model, 256);
    // Texels of the pocket's triangles against the rest of the head.
    const interior = findMouthInterior(model, data.neutralVertices);
    const inPocket = new Uint8Array(model.indices.length / 3);
    for (const t of interior.triangles) inPocket[t] = 1;
    const pocket: number[] = [], rest: number[] = [];
    for (let i = 0; i < raster.texel.length; i++) (inPocket[raster.triangle[i]] ? pocket : rest).push(image.data[4 * raster.texel[i]]);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    console.log(`      occlusion (R, 0..255): pocket ${pocket.length} texels, mean ${mean(pocket).toFixed(0)}; elsewhere ${rest.length} texels, mean ${mean(rest).toFixed(1)}`);
    assert.ok(pocket.length > 100 && mean(pocket) < 60, `pocket: ${pocket.length} texels, mean ${mean(pocket)}`);
    assert.ok(rest.filter((r) => r < 255).length < 0.01 * rest.length, 'occlusion outside the pocket');
    const glb = writeGlb(data);
    const length = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + length))) as { materials: Array<{ name: string; occlusionTexture?: { index: number }; pbrMetallicRoughness: { metallicRoughnessTexture?: { index: number } } }> };
    const skin = json.materials.find((m) => m.name === 'skin')!;
    assert.equal(skin.occlusionTexture?.index, skin.pbrMetallicRoughness.metallicRoughnessTexture?.index);
  });
});
