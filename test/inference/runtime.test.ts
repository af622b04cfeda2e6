import assert from 'node:assert/strict';
import { ASSET_FILES, loadAsset } from '../../src/assets.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { chooseThreads, createSession, guarded, isSoftwareAdapter } from '../../src/inference/runtime.js';

describe('onnxruntime-web runtime choices', () => {
  it('auto never takes a software WebGPU adapter', () => {
    assert.equal(isSoftwareAdapter({ isFallbackAdapter: true }), true);
    assert.equal(isSoftwareAdapter({ info: { isFallbackAdapter: true } }), true);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader device (Subzero)' } }), true);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }), true);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', description: '' } }), false);
    assert.equal(isSoftwareAdapter({ info: { vendor: 'apple', architecture: 'metal-3' }, isFallbackAdapter: false }), false);
  });

  it('browsers get threads only on an isolated page with wasmPaths, or when told', () => {
    const browser = { isNode: false, cores: 8 };
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: false }).threads, 1);
    assert.match(chooseThreads({ ...browser, crossOriginIsolated: false }).note, /cross-origin isolated/);
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: true }).threads, 1);
    assert.match(chooseThreads({ ...browser, crossOriginIsolated: true }).note, /wasmPaths/);
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: true, wasmPaths: '/ort/' }).threads, 4);
    assert.equal(chooseThreads({ ...browser, crossOriginIsolated: false, numThreads: 3 }).threads, 3);
    assert.equal(chooseThreads({ isNode: true, crossOriginIsolated: false, cores: 2 }).threads, 2);
  });

  it('a session that never becomes ready rejects with RUNTIME_FAILURE naming the cause', async () => {
    // In Node, once WASM has started, ort builds a session synchronously before its promise settles,
    // so no timer could ever beat it; a promise that never settles is what a hung thread start is.
    const neverReady = new Promise<never>(() => {});
    const started = performance.now();
    await assert.rejects(guarded(neverReady, 'wasm', 50), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError);
      assert.equal(error.code, 'RUNTIME_FAILURE');
      assert.match(error.message, /wasm session .* not ready after/);
      return true;
    });
    assert.ok(performance.now() - started < 5_000, 'the timeout fires promptly');
    // The runtime still works afterwards.
    const model = await loadAsset(ASSET_FILES.faceMesh);
    const { session, backend } = await createSession(model, { backend: 'wasm' });
    assert.equal(backend, 'wasm');
    assert.ok(session.inputNames.length === 1);
  });
});
