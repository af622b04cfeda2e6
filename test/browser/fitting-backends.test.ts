/**
 * The landmark fit on onnxruntime-web's WebGPU execution provider (Chromium, SwiftShader) against
 * the same fit on WASM, in the same page: identical coefficients within 1e-4. The face observation
 * comes from a real photo analysed in Node, so both fits start from exactly the same input.
 * Run with `npm run test:browser` (builds sample-scene/dist first).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, sharedPath } from '../helpers/shared-data.js';
import { portableFace, sealedSampleScene } from './harness.js';
import { openScene } from './canvas-pixels.js';
import { decodeImage } from '../../src/image/decode.js';
import { getFaceAnalyzer } from '../../src/pipeline.js';
import { selectFace } from '../../src/inference/face/analyzer.js';
import type { FittingProbe } from '../../sample-scene/diagnostics.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
/**
 * A face turned about 16 degrees, fitted in 11 Levenberg-Marquardt steps: enough steps for backend
 * drift to show, few enough for SwiftShader (about 2 s per WebGPU evaluation) to finish in a minute.
 */
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;
const TOLERANCE = 1e-4;

describe('fitting: WebGPU and WASM give the same coefficients @browser', function () {
  this.timeout(600_000);
  const scene = sealedSampleScene(distDir, ...PHOTO);

  it('fits a real photo on both providers to within 1e-4', async () => {
    const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath(...PHOTO))));
    const analyzer = await getFaceAnalyzer('wasm');
    const face = selectFace(await analyzer.analyze(image));

    // WebGL2 for the page's own engine keeps the GPU device free for onnxruntime's WebGPU provider.
    const page = await openScene(scene.browser, scene.server, 'engine=webgl2');
    try {
      const start = Date.now();
      const probe: FittingProbe = await page.evaluate(
        ([observation, width, height]) => window.__sampleScene!.probeFitting(observation, width, height),
        [portableFace(face), image.width, image.height] as const,
      );
      const { webgpu, wasm, maxAbsDifference } = probe;
      console.log(`      ${PHOTO[2]} ${image.width}x${image.height}: webgpu ${webgpu.iterations} it ${Math.round(webgpu.milliseconds)} ms, `
        + `wasm ${wasm.iterations} it ${Math.round(wasm.milliseconds)} ms (${Date.now() - start} ms in all)`);
      const stages = (timings: Record<string, number>) => Object.entries(timings).map(([key, ms]) => `${key} ${Math.round(ms)}`).join(', ');
      console.log(`      webgpu stages (ms): ${stages(webgpu.timings)}; wasm: ${stages(wasm.timings)}`);
      console.log(`      max |webgpu - wasm|: ${Object.entries(maxAbsDifference).map(([group, value]) => `${group} ${value.toExponential(2)}`).join(', ')}`);
      console.log(`      scale: max |identity| ${Math.max(...wasm.identity.map(Math.abs)).toFixed(3)}, max |expression| ${Math.max(...wasm.expression.map(Math.abs)).toFixed(3)}, `
        + `translation ${wasm.translation.map((v) => v.toFixed(4)).join(', ')}`);
      assert.equal(webgpu.backend, 'webgpu', 'the WebGPU fit fell back to another provider');
      assert.equal(wasm.backend, 'wasm');
      for (const [group, value] of Object.entries(maxAbsDifference)) {
        assert.ok(value < TOLERANCE, `${group}: WebGPU and WASM differ by ${value.toExponential(2)} (limit ${TOLERANCE})`);
      }
    } finally {
      await page.close();
    }
  });

  it('made no request beyond loopback and logged no console errors', () => {
    console.log(`      blocked requests: ${scene.browser.blockedRequests.length}, console errors: ${scene.browser.consoleErrors.length}`);
    assert.deepEqual(scene.browser.blockedRequests, []);
    assert.deepEqual(scene.browser.consoleErrors, []);
  });
});
