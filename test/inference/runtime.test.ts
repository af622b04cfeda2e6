import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ASSET_FILES, loadAsset, platformGunzipper } from '../../src/assets.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { chooseThreads, createSession, guarded, gunzip, isSoftwareAdapter, ort, runtimeInfo } from '../../src/inference/runtime.js';

describe('onnxruntime-web runtime choices', () => {
  it('auto never takes a software WebGPU adapter', () => {
    assert.equal(isSoftwareAdapter({ isFallbackAdapter: true }), true);
    assert.equal(isSoftwareAdapter({ info: { isFallbackAdapter: true } }), true);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader device (Subzero)' } }), true);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }), true);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', description: '' } }), false);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'apple', architecture: 'metal-3' }, isFallbackAdapter: false }), false);
  });

  it('browsers get threads only on an isolated page, or when told', () => {
    const browser = { isNode: false, cores: 8 };
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: false }).threads, 1);
    assert.match(chooseThreads({ ...browser, crossOriginIsolated: false }).note, /cross-origin isolated/);
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: true }).threads, 4);
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: false, numThreads: 3 }).threads, 3);
    assert.equal(chooseThreads({ isNode: true, crossOriginIsolated: false, cores: 2 }).threads, 2);
  });

  it('gunzips ort\'s shipped binary to the bytes of onnxruntime-web\'s own, and refuses what is not one', async () => {
    const packed = await loadAsset(ASSET_FILES.ortBinary, { keep: false });
    const original = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), 'ort-wasm-simd-threaded.wasm'));
    assert.ok(packed.length < original.length / 3, `gzipped ${packed.length} of ${original.length} bytes`);
    assert.ok(Buffer.from(await gunzip(packed)).equals(original), 'the gunzipped binary differs from ort\'s');
    // Node inflates with zlib instead (installed by the Node asset loader): the same bytes.
    const inflated = await platformGunzipper()!(packed);
    assert.ok(Buffer.from(inflated).equals(original), 'zlib\'s inflated binary differs from ort\'s');
    // One chunk of the trailer's size: the bytes fill their buffer, which ort then takes without a copy.
    assert.equal(inflated.byteOffset, 0);
    assert.equal(inflated.buffer.byteLength, original.length);
    // The chunk comes from the trailer, which zlib checks as well: one that lies is a corrupt file.
    const wrongTrailer = packed.slice();
    new DataView(wrongTrailer.buffer).setUint32(wrongTrailer.length - 4, 1000, true);
    await assert.rejects(platformGunzipper()!(wrongTrailer), /length/);
    await assert.rejects(platformGunzipper()!(new TextEncoder().encode('<!doctype html><title>404</title>')), /no gzip header/);
    await assert.rejects(gunzip(new TextEncoder().encode('<!doctype html><title>404</title>')), /no gzip header/);
    await assert.rejects(gunzip(packed.subarray(0, packed.length >> 1)), /trailer|inflate|unexpected|end/i);
  });

  it('a session that never becomes ready rejects with RUNTIME_FAILURE naming the cause', async () => {
    // In Node, once WASM has started, ort builds a session synchronously before its promise settles,
    // so no timer could ever beat it; a promise that never settles is what a hung thread start is.
    const neverReady = new Promise<never>(() => {});
    const started = performance.now();
    await assert.rejects(guarded(neverReady, 'wasm', 50), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError);
      assert.equal(error.code, 'RUNTIME_FAILURE');
      assert.match(error.message, /wasm session .* not ready after .* ort-wasm-simd-threaded\.mjs/);
      return true;
    });
    assert.ok(performance.now() - started < 5_000, 'the timeout fires promptly');
    // The runtime still works afterwards.
    const model = await loadAsset(ASSET_FILES.faceMesh);
    const { session, backend } = await createSession(model, { backend: 'wasm' });
    assert.equal(backend, 'wasm');
    assert.ok(session.inputNames.length === 1);
  });

  it('Node runs ort\'s plain WASM build, not the JSEP one', async () => {
    // JSEP (the WebGPU build) made a cold CLI create 6x slower and 3.7x hungrier in Node.
    await createSession(await loadAsset(ASSET_FILES.faceMesh), { backend: 'wasm' });
    assert.equal(runtimeInfo().wasmBuild, 'plain');
    assert.equal(ort.env.wasm.wasmPaths && typeof ort.env.wasm.wasmPaths === 'object' && String(ort.env.wasm.wasmPaths.mjs).endsWith(`/${ASSET_FILES.ortGlue}`), true);
    // Compiled, the binary is released (ort's glue would keep 14 MB alive); new sessions still run.
    assert.equal(ort.env.wasm.wasmBinary, undefined);
    const { session } = await createSession(await loadAsset(ASSET_FILES.faceDetector), { backend: 'wasm' });
    const [input] = session.inputNames;
    const outputs = await session.run({ [input]: new ort.Tensor('float32', new Float32Array(3 * 256 * 256).fill(0.5), [1, 3, 256, 256]) });
    assert.ok(Object.values(outputs).every((tensor) => (tensor.data as Float32Array).every(Number.isFinite)));
    await session.release();
  });

  it('a failing session.run rejects with RUNTIME_FAILURE naming the cause', async () => {
    // A real model given an input of the wrong rank: ort's own error must reach the caller wrapped.
    const { session } = await createSession(await loadAsset(ASSET_FILES.faceDetector), { backend: 'wasm' });
    const [input] = session.inputNames;
    await assert.rejects(session.run({ [input]: new ort.Tensor('float32', new Float32Array(6), [2, 3]) }), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError, `not a PhotoAvatarError: ${String(error)}`);
      assert.equal(error.code, 'RUNTIME_FAILURE');
      assert.match(error.message, /^onnxruntime-web wasm run \(\d+ threads?\) failed: .*Invalid rank for input/);
      assert.ok(error.cause instanceof Error, 'the original error is kept as the cause');
      return true;
    });
    // The same session still runs a well-formed input afterwards.
    const outputs = await session.run({ [input]: new ort.Tensor('float32', new Float32Array(3 * 256 * 256).fill(0.5), [1, 3, 256, 256]) });
    assert.equal(Object.keys(outputs).length, session.outputNames.length);
    await session.release();
  });
});
