/**
 * Several photos of one person (HRN multi_view: three photos of the same subject): one shared
 * identity must fit every photo about as well as that photo's own single-view fit, land near the
 * consensus of the single-view identities, and the merged texture must cover more of the face than
 * any single photo. A photo without a face among them is named in the error. Needs ../shared/data.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fitFace, type FitResult } from '../../src/fitting/fit-face.js';
import { fitFaces, type ViewObservation } from '../../src/fitting/fit-multi-view.js';
import { estimateAlbedo } from '../../src/albedo/albedo.js';
import { createAvatarData, getFaceAnalyzer, loadDefaultHead } from '../../src/pipeline.js';
import { selectFace } from '../../src/inference/face/analyzer.js';
import { decodeImage } from '../../src/image/decode.js';
import { PhotoAvatarError } from '../../src/errors.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import type { Mask, RgbaImage } from '../../src/types.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';

const PHOTOS = ['10078.jpg', '21650.jpg', '5932.jpg'];
const TEXTURE_SIZE = 256;

interface Photo {
  name: string;
  image: RgbaImage;
  view: ViewObservation;
  skinMask: Mask;
  faceMask: Mask;
}

/** Identity in prior units (coefficient / prior std), so every mode counts by its plausibility. */
function standardised(model: HeadModel, identity: Float32Array): Float64Array {
  return Float64Array.from(identity, (c, k) => c / model.identityStd[k]);
}

function distance(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

/** RMS distance between two neutral meshes over the face skin, millimetres. */
function faceRmsMm(model: HeadModel, a: Float32Array, b: Float32Array): number {
  let sum = 0, count = 0;
  for (let v = 0; v < model.vertexCount; v++) {
    if (model.skinWeight[v] < 0.5) continue;
    sum += (a[3 * v] - b[3 * v]) ** 2 + (a[3 * v + 1] - b[3 * v + 1]) ** 2 + (a[3 * v + 2] - b[3 * v + 2]) ** 2;
    count++;
  }
  return 1000 * Math.sqrt(sum / count);
}

describe('fitting: several photos of one person (shared identity)', function () {
  requireSharedData(this, 'photos', 'hrn', 'multi_view');
  let model: HeadModel;
  const photos: Photo[] = [];
  const singles: FitResult[] = [];
  /** Single-view fits with the prior weakened to 1/N: the same data-to-prior ratio per photo as the N-photo fit. */
  const matchedSingles: FitResult[] = [];
  let multi: Awaited<ReturnType<typeof fitFaces>>;

  before(async function () {
    this.timeout(300_000);
    model = await loadDefaultHead();
    const analyzer = await getFaceAnalyzer('wasm');
    for (const name of PHOTOS) {
      const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'hrn', 'multi_view', name))));
      const face = selectFace(await analyzer.analyze(image));
      const [skinMask, faceMask] = await Promise.all([analyzer.skinMask(image, face), analyzer.faceMask(image, face)]);
      photos.push({ name, image, skinMask, faceMask, view: { observation: face, imageWidth: image.width, imageHeight: image.height, label: name } });
      singles.push(await fitFace(model, face, { imageWidth: image.width, imageHeight: image.height, backend: 'wasm' }));
      matchedSingles.push(await fitFace(model, face, { imageWidth: image.width, imageHeight: image.height, backend: 'wasm', priorWeight: 1 / PHOTOS.length }));
    }
    multi = await fitFaces(model, photos.map((p) => p.view), { backend: 'wasm' });
  });

  it('fits every photo with the shared identity about as well as its own single-view fit', () => {
    assert.equal(multi.views.length, PHOTOS.length);
    for (let i = 0; i < PHOTOS.length; i++) {
      const single = singles[i].landmarkErrorNormalized, shared = multi.views[i].landmarkErrorNormalized;
      console.log(`      ${PHOTOS[i]}: landmark error single-view ${(100 * single).toFixed(2)}%, shared identity ${(100 * shared).toFixed(2)}% ` +
        `(${(shared / single).toFixed(2)}x) of the eye-corner distance; yaw single ${singles[i].yawDeg.toFixed(1)} shared ${multi.views[i].yawDeg.toFixed(1)}`);
      assert.ok(shared < 1.2 * single + 0.001, `${PHOTOS[i]}: shared-identity error ${(100 * shared).toFixed(2)}% vs single ${(100 * single).toFixed(2)}%`);
      assert.ok(shared < 0.03, `${PHOTOS[i]}: shared-identity error under 3% of the eye-corner distance`);
      assert.equal(multi.views[i].identity, multi.identity, 'every view reports the one shared identity');
    }
    console.log(`      multi-view solve: ${multi.iterations} iterations, ${multi.timings.solve.toFixed(0)} ms for ${PHOTOS.length} photos`);
  });

  // With N photos the landmark terms outweigh the (single) identity prior N times, so the shared
  // identity shrinks less towards the mean face than a default single fit does. Like is compared with
  // like: single fits whose prior is weakened to 1/N (the same data-to-prior ratio per photo).
  it('reduces to the single-view fit for one photo', async () => {
    const one = await fitFaces(model, [photos[0].view], { backend: 'wasm' });
    let maxIdentity = 0;
    for (let k = 0; k < model.identityCount; k++) maxIdentity = Math.max(maxIdentity, Math.abs(one.identity[k] - singles[0].identity[k]) / model.identityStd[k]);
    console.log(`      one photo: fitFaces ${(100 * one.views[0].landmarkErrorNormalized).toFixed(3)}% vs fitFace ${(100 * singles[0].landmarkErrorNormalized).toFixed(3)}%, ` +
      `identity max difference ${maxIdentity.toExponential(2)} prior std, ${one.iterations} vs ${singles[0].iterations} iterations`);
    assert.ok(maxIdentity < 0.05);
    assert.ok(Math.abs(one.views[0].landmarkErrorNormalized - singles[0].landmarkErrorNormalized) < 0.001);
  });

  it('puts the shared identity nearer the single-view consensus than the single fits are to each other', () => {
    const z = matchedSingles.map((fit) => standardised(model, fit.identity));
    const consensus = new Float64Array(model.identityCount);
    for (const v of z) for (let k = 0; k < consensus.length; k++) consensus[k] += v[k] / z.length;
    const pairwise: number[] = [];
    const pairwiseMm: number[] = [];
    for (let a = 0; a < z.length; a++) {
      for (let b = a + 1; b < z.length; b++) {
        pairwise.push(distance(z[a], z[b]));
        pairwiseMm.push(faceRmsMm(model, matchedSingles[a].neutralVertices, matchedSingles[b].neutralVertices));
      }
    }
    const meanPairwise = pairwise.reduce((s, d) => s + d, 0) / pairwise.length;
    const sharedToConsensus = distance(standardised(model, multi.identity), consensus);
    const sharedToSinglesMm = matchedSingles.map((fit) => faceRmsMm(model, multi.neutralVertices, fit.neutralVertices));
    const norm = (v: Float64Array) => Math.hypot(...v);
    console.log(`      identity norms (prior-std units): default single fits ${singles.map((fit) => norm(standardised(model, fit.identity)).toFixed(2)).join(', ')}; ` +
      `prior 1/${PHOTOS.length} single fits ${z.map((v) => norm(v).toFixed(2)).join(', ')}; shared ${norm(standardised(model, multi.identity)).toFixed(2)}`);
    console.log(`      identity distances (prior 1/${PHOTOS.length} single fits): pairwise ${pairwise.map((d) => d.toFixed(2)).join(', ')} (mean ${meanPairwise.toFixed(2)}); ` +
      `shared to their consensus ${sharedToConsensus.toFixed(2)}`);
    console.log(`      face RMS: single-view pairwise ${pairwiseMm.map((d) => d.toFixed(2)).join(', ')} mm; shared to each single ${sharedToSinglesMm.map((d) => d.toFixed(2)).join(', ')} mm`);
    assert.ok(sharedToConsensus < meanPairwise, `shared identity ${sharedToConsensus.toFixed(2)} from the consensus vs single fits ${meanPairwise.toFixed(2)} apart`);
  });

  it('merges the views into a texture that covers more of the face than any one photo', async function () {
    this.timeout(120_000);
    const albedoInput = (i: number, fit: FitResult) => ({
      image: photos[i].image, model, vertices: fit.vertices, camera: fit.camera, skinMask: photos[i].skinMask, faceMask: photos[i].faceMask,
    });
    const singleCoverage: number[] = [];
    for (let i = 0; i < photos.length; i++) singleCoverage.push((await estimateAlbedo(albedoInput(i, singles[i]), { size: TEXTURE_SIZE })).coverage);
    const merged = await estimateAlbedo(multi.views.map((fit, i) => albedoInput(i, fit)), { size: TEXTURE_SIZE });
    console.log(`      face-skin texel coverage: single photos ${singleCoverage.map((c) => c.toFixed(3)).join(', ')}; merged ${merged.coverage.toFixed(3)}; ` +
      `lights differ per photo: ${merged.lights.length}`);
    assert.equal(merged.lights.length, photos.length);
    assert.ok(merged.coverage > Math.max(...singleCoverage) + 0.005, `merged coverage ${merged.coverage.toFixed(3)} vs best single ${Math.max(...singleCoverage).toFixed(3)}`);
  });

  it('createAvatarData takes the photos together and reports every view', async function () {
    this.timeout(300_000);
    const data = await createAvatarData(photos.map((p) => p.image), { backend: 'wasm', textureSize: TEXTURE_SIZE, model });
    assert.ok(data.views && data.views.length === photos.length);
    assert.equal(data.identity.length, model.identityCount);
    assert.equal(data.camera, data.views[0].camera);
    for (const [i, view] of data.views.entries()) {
      console.log(`      pipeline ${photos[i].name}: ${(100 * view.landmarkErrorNormalized).toFixed(2)}%, yaw ${view.pose.yawDeg.toFixed(1)}, light DC ${view.light[0].toFixed(3)}`);
      assert.ok(view.landmarkErrorNormalized < 0.03);
      assert.equal(view.light.length, 27);
    }
    console.log(`      pipeline coverage ${data.metrics.coverage?.toFixed(3)}, total ${data.timings.total.toFixed(0)} ms`);
  });

  it('names the photo without a face among several', async function () {
    this.timeout(120_000);
    const blank: RgbaImage = { width: 320, height: 240, data: new Uint8ClampedArray(320 * 240 * 4).fill(128) };
    await assert.rejects(
      createAvatarData([photos[0].image, blank, photos[2].image], { backend: 'wasm', photoNames: ['a.jpg', 'wall.png', 'c.jpg'] }),
      (error: unknown) => {
        console.log(`      error: ${(error as Error).message}`);
        return error instanceof PhotoAvatarError && error.code === 'NO_FACE' && /^wall\.png: /.test(error.message);
      },
    );
    await assert.rejects(
      fitFaces(model, [photos[0].view, { ...photos[1].view, observation: { ...photos[1].view.observation, landmarks68: new Float32Array(10) } }]),
      (error: unknown) => error instanceof PhotoAvatarError && error.code === 'INVALID_ARGUMENT' && error.message.startsWith(`${PHOTOS[1]}: `),
    );
  });
});
