/**
 * @browser check that the converted face models run on onnxruntime-web's WebGPU execution
 * provider (headless Chromium on SwiftShader) with every node on WebGPU, and match the wasm
 * results computed in Node. Skips when /usr/bin/chromium is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createSession, ort } from '../../src/inference/runtime.js';
import { FACE_MODELS, FACE_MODEL_INPUT, type FaceModelKey } from '../../src/inference/tfjs-to-onnx/face-models.js';
import { convertTfjsModelFile, humanModelsDir } from '../../src/inference/tfjs-to-onnx/convert-face-models.js';
import { projectRoot } from '../helpers/shared-data.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader',
];

/** Deterministic input in the model's range (a smooth pattern plus noise, like a photo crop). */
function syntheticInput(size: number, [lo, hi]: [number, number]): Float32Array {
  const data = new Float32Array(3 * size * size);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const x = (i % size) / size;
    const y = Math.floor(i / size) % size / size;
    const t = 0.5 + 0.35 * Math.sin(6 * x + 3 * y + i / (size * size)) + 0.15 * ((seed / 2 ** 32) - 0.5);
    data[i] = lo + (hi - lo) * Math.min(Math.max(t, 0), 1);
  }
  return data;
}

describe('@browser converted face models on the WebGPU execution provider', function () {
  // SwiftShader runs WebGPU on the CPU: slow, but correctness is all this checks.
  this.timeout(600_000);
  let server: Server;
  let context: BrowserContext;
  let userDir = '';
  let origin = '';
  const models = new Map<string, Uint8Array>();

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: ${CHROMIUM} is absent`);
      this.skip();
    }
    const dist = path.join(projectRoot, 'node_modules', 'onnxruntime-web', 'dist');
    server = createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '/');
      const model = models.get(url.replace(/^\/models\//, ''));
      if (url.startsWith('/models/') && model) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(model);
      } else if (url.startsWith('/ort/') && existsSync(path.join(dist, path.basename(url)))) {
        const file = path.basename(url);
        const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        res.writeHead(200, { 'content-type': type }).end(readFileSync(path.join(dist, file)));
      } else if (url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>webgpu</title>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDir = mkdtempSync(path.join(tmpdir(), 'webgpu-chromium-'));
    context = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
    await context.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
  });

  after(async () => {
    await context?.close();
    server?.close();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  it('runs every model with all nodes on WebGPU and matches wasm', async () => {
    const keys = Object.keys(FACE_MODELS) as FaceModelKey[];
    const inputs: Record<string, number[]> = {};
    const expected: Record<string, Record<string, Float32Array>> = {};
    for (const key of keys) {
      const spec = FACE_MODELS[key];
      const converted = await convertTfjsModelFile(path.join(humanModelsDir(), spec.sourceFile), { outputOrder: spec.outputs.map((o) => o.name) });
      models.set(spec.onnxFile, converted.model);
      const input = syntheticInput(spec.inputSize[0], spec.inputRange);
      inputs[key] = Array.from(input);
      const { session } = await createSession(converted.model, { backend: 'wasm' });
      const out = await session.run({ [FACE_MODEL_INPUT]: new ort.Tensor('float32', input, [1, 3, ...spec.inputSize]) });
      expected[key] = Object.fromEntries(spec.outputs.map((o) => [o.name, out[o.name].data as Float32Array]));
      await session.release();
    }

    const page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (message) => {
      logs.push(message.text());
      if (process.env.WEBGPU_TEST_DEBUG) console.log(`      [page] ${message.text().slice(0, 300)}`);
    });
    await page.goto(`${origin}/`);
    const hasGpu = await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
    assert.ok(hasGpu, 'Chromium exposes no WebGPU adapter');
    const specs = keys.map((key) => ({ key, file: FACE_MODELS[key].onnxFile, size: FACE_MODELS[key].inputSize, outputs: FACE_MODELS[key].outputs.map((o) => o.name) }));
    const results = await page.evaluate(async ({ specs, inputs, inputName }) => {
      const ortWeb = await import('/ort/ort.webgpu.min.mjs' as string);
      ortWeb.env.wasm.numThreads = 1;
      ortWeb.env.wasm.wasmPaths = '/ort/';
      const out: Record<string, Record<string, number[]>> = {};
      for (const spec of specs) {
        const bytes = new Uint8Array(await (await fetch(`/models/${spec.file}`)).arrayBuffer());
        // A verbose session logs which provider each node was placed on; it would also dump every
        // shader when run, so the run uses a second, quiet session.
        ortWeb.env.logLevel = 'verbose';
        const probe = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['webgpu'], logSeverityLevel: 0, logVerbosityLevel: 0 });
        await probe.release();
        ortWeb.env.logLevel = 'warning';
        const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
        const tensor = new ortWeb.Tensor('float32', Float32Array.from(inputs[spec.key]), [1, 3, ...spec.size]);
        const result = await session.run({ [inputName]: tensor });
        out[spec.key] = Object.fromEntries(spec.outputs.map((name: string) => [name, Array.from(result[name].data as Float32Array)]));
        await session.release();
      }
      return out;
    }, { specs, inputs, inputName: FACE_MODEL_INPUT });

    const placementLines = logs.filter((l) => /placed on/i.test(l));
    for (const line of placementLines) console.log(`      ${line.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]\s*/, '').slice(0, 200)}`);
    for (const key of keys) {
      for (const [name, ref] of Object.entries(expected[key])) {
        const got = results[key][name];
        assert.equal(got.length, ref.length);
        let maxDiff = 0;
        let scale = 0;
        for (let i = 0; i < ref.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
          scale = Math.max(scale, Math.abs(ref[i]));
        }
        console.log(`      ${key}.${name}: WebGPU vs wasm max abs diff ${maxDiff.toExponential(2)} (max|ref| ${scale.toPrecision(4)})`);
        assert.ok(maxDiff / Math.max(scale, 1e-6) < 2e-3, `${key}.${name} differs on WebGPU`);
      }
    }
    const allOnGpu = placementLines.filter((l) => /All nodes placed on \[WebGpuExecutionProvider\]/.test(l));
    assert.equal(allOnGpu.length, keys.length, `some nodes are not on WebGPU:\n${placementLines.join('\n')}`);
  });
});
