/**
 * MediaPipe's attention FaceMesh (478 points, 19 ONNX ops beyond FaceMesh's) in Chromium, on
 * onnxruntime-web's WebGPU provider (SwiftShader) and on WASM, each in its own page of the built
 * sample scene (so through the package's own runtime: the JSEP build for WebGPU), against the same
 * model on WASM in Node: the same crop of a real photo (the tracking crop around the face Node
 * observed) must give the same 478 points. ort's verbose log says which nodes run on WebGPU and
 * which fall back to the CPU (test/inference/tfjs-to-onnx-webgpu.test.ts checks placement on ort's
 * other WebGPU build, ort.webgpu.min.mjs, which the package does not ship). Also prints the model's
 * per-frame cost on both providers: SwiftShader runs WebGPU on the CPU, so its times are only a
 * ratio against WASM on this machine, nothing like a real GPU.
 * Run with `npm run build:sample && npx mocha test/browser/attention-mesh.test.ts`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../../src/image/decode.js';
import { selectFace } from '../../src/inference/face/analyzer.js';
import { getFaceAnalyzer } from '../../src/pipeline.js';
import type { FaceObservation } from '../../src/types.js';
import type { AttentionMeshProbe } from '../../sample-scene/diagnostics.js';
import { projectRoot, sharedPath } from '../helpers/shared-data.js';
import { openScene } from './canvas-pixels.js';
import { portableFace, sealedSampleScene } from './harness.js';

const distDir = path.join(projectRoot, 'sample-scene', 'dist');
const PHOTO = ['photos', '3ddfa_v2', 'emma.jpg'] as const;
/** Timed runs per provider after one warm-up: SwiftShader takes seconds per WebGPU run. */
const RUNS = { wasm: 5, webgpu: 3 } as const;
/**
 * Largest point distance (image px) allowed between Chromium and Node. WASM is the same kernels in
 * both: within float rounding. WebGPU computes in other kernels (and WGSL's sin, cos and atan are
 * looser than libm), which the spatial transformers' crops of the feature maps amplify in the
 * refined lips, eyes and irises; the raw mesh stays within hundredths of a pixel.
 */
const TOLERANCE_PX = { wasm: 0.01, webgpu: 0.5 } as const;
const MEAN_TOLERANCE_PX = { wasm: 0.001, webgpu: 0.05 } as const;

/** The 468 mesh points' x, y then the 10 iris points' x, y, as the page's probe returns them. */
function points478(face: FaceObservation): number[] {
  const out: number[] = [];
  for (let i = 0; i < 468; i++) out.push(face.landmarks468[3 * i], face.landmarks468[3 * i + 1]);
  for (let i = 0; i < 10; i++) out.push(face.iris[3 * i], face.iris[3 * i + 1]);
  return out;
}

/** Per point, the distance between two x, y lists (px). */
function pointDistances(a: readonly number[], b: readonly number[]): Float64Array {
  assert.equal(a.length, b.length);
  const out = new Float64Array(a.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Math.hypot(a[2 * i] - b[2 * i], a[2 * i + 1] - b[2 * i + 1]);
  return out;
}

function summarize(distances: Float64Array, from: number, to: number): { max: number; mean: number; worst: number } {
  let max = 0, sum = 0, worst = from;
  for (let i = from; i < to; i++) {
    sum += distances[i];
    if (distances[i] > max) { max = distances[i]; worst = i; }
  }
  return { max, mean: sum / (to - from), worst };
}

/** The attention graph's ops beyond FaceMesh's: none may fall back to the CPU. */
const NEW_GPU_OPS = ['Atan', 'Sin', 'Cos', 'Floor', 'MatMul', 'Where', 'Gather', 'Greater', 'GreaterOrEqual', 'LessOrEqual', 'Less', 'ReduceMax', 'ReduceMin', 'Div', 'Neg'];
/**
 * All ort may place on the CPU: an Identity that names an output. (JSEP has no Min, Max or And:
 * before the converter rewrote them, its 12 + 12 int32 index clamps and 6 masks ran on the CPU
 * with 44 host copies.)
 */
const KNOWN_CPU_OPS = new Set(['Identity']);

/**
 * Provider -> op type -> node count, from ort's verbose session log: a line "Node(s) placed on
 * [Provider]. Number of nodes: N" then one line per node, "  OpType (node name)".
 */
function nodePlacement(log: string[]): Map<string, Map<string, number>> {
  const placed = new Map<string, Map<string, number>>();
  let current: Map<string, number> | null = null;
  for (const line of log) {
    const header = /placed on \[(\w+)\]/.exec(line);
    if (header) {
      current = new Map();
      placed.set(header[1], current);
      continue;
    }
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s+(\w+) \(/.exec(line);
    if (node && current) current.set(node[1], (current.get(node[1]) ?? 0) + 1);
    else if (!node) current = null;
  }
  return placed;
}

const median = (values: number[]): number => [...values].sort((p, q) => p - q)[values.length >> 1];

describe('attention FaceMesh in Chromium on WebGPU and WASM matches Node @browser', function () {
  this.timeout(600_000);
  const scene = sealedSampleScene(distDir, ...PHOTO);

  it('gives Node\'s 478 points on both providers and reports their per-frame cost', async () => {
    const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath(...PHOTO))));
    const analyzer = await getFaceAnalyzer('wasm');
    await analyzer.loadAttentionMesh();
    const observed = selectFace(await analyzer.analyze(image, { maxFaces: 1, meshModel: 'attention' }));
    const reference = await analyzer.trackFace(image, observed, { faceMesh: 0, iris: 0 }, 'both', 'attention');
    assert.ok(reference, 'Node lost the face on its own tracking crop');
    const expected = points478(reference);
    const portableImage = { width: image.width, height: image.height, rgbaBase64: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).toString('base64') };

    for (const backend of ['wasm', 'webgpu'] as const) {
      // One page per provider: a page's first session fixes its onnxruntime build (plain WASM or JSEP).
      const page = await openScene(scene.browser, scene.server, `engine=webgl2&backend=${backend}`);
      try {
        const probe: AttentionMeshProbe = await page.evaluate(
          ([img, previous, provider, runs]) => window.__sampleScene!.probeAttentionMesh(img, previous, provider, runs),
          [portableImage, portableFace(observed), backend, RUNS[backend]] as const,
        );
        assert.equal(probe.backend, backend, `the face models ran on ${probe.backend}, not ${backend}`);
        assert.ok(probe.meshScore > 0.9, `face presence ${probe.meshScore.toFixed(3)} on ${backend}`);
        const distances = pointDistances(probe.points, expected);
        const mesh = summarize(distances, 0, 468);
        const iris = summarize(distances, 468, 478);
        const all = summarize(distances, 0, 478);
        console.log(`      ${backend} (${probe.runtime.wasmBuild} build, ${probe.runtime.threads} thread${probe.runtime.threads === 1 ? '' : 's'}) vs Node wasm, ${PHOTO[2]} ${image.width}x${image.height}: `
          + `468 mesh max ${mesh.max.toFixed(4)} px (point ${mesh.worst}) mean ${mesh.mean.toFixed(4)}; irises max ${iris.max.toFixed(4)} mean ${iris.mean.toFixed(4)}`);
        console.log(`      ${backend} per frame: attention model median ${median(probe.modelMs).toFixed(0)} ms, whole trackFace ${median(probe.frameMs).toFixed(0)} ms `
          + `(runs ${probe.frameMs.map((ms) => ms.toFixed(0)).join(', ')} ms)${backend === 'webgpu' ? ' [SwiftShader: CPU-emulated WebGPU, only a ratio]' : ''}`);
        assert.ok(all.max <= TOLERANCE_PX[backend], `${backend}: a point lies ${all.max.toFixed(4)} px from Node's (limit ${TOLERANCE_PX[backend]})`);
        assert.ok(all.mean <= MEAN_TOLERANCE_PX[backend], `${backend}: points lie ${all.mean.toFixed(4)} px from Node's on average (limit ${MEAN_TOLERANCE_PX[backend]})`);
        if (backend === 'webgpu') {
          // ort's verbose log arrives as console errors: take it out of the page's error list.
          const before = scene.browser.consoleErrors.length;
          await page.evaluate(() => window.__sampleScene!.logAttentionPlacement());
          await page.waitForTimeout(500);
          const log = scene.browser.consoleErrors.splice(before);
          const placed = nodePlacement(log);
          for (const [provider, ops] of placed) {
            console.log(`      webgpu placement: ${[...ops.values()].reduce((n, v) => n + v, 0)} nodes on ${provider}: ${[...ops].map(([op, n]) => `${op} ${n}`).join(', ')}`);
          }
          assert.ok((placed.get('JsExecutionProvider')?.get('Conv') ?? 0) > 100, 'the convolutions are not on WebGPU');
          for (const op of NEW_GPU_OPS) assert.ok(placed.get('JsExecutionProvider')?.has(op) && !placed.get('CPUExecutionProvider')?.has(op), `${op} is not (only) on WebGPU`);
          for (const op of placed.get('CPUExecutionProvider')?.keys() ?? []) assert.ok(KNOWN_CPU_OPS.has(op), `${op} fell back to the CPU`);
        }
      } finally {
        await page.close();
      }
    }
  });

  it('made no request beyond loopback and logged no console errors', () => {
    assert.deepEqual(scene.browser.blockedRequests, []);
    assert.deepEqual(scene.browser.consoleErrors, []);
  });
});
