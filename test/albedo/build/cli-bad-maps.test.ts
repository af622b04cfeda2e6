/** build-uvapm / eval-uvapm on a folder with good, corrupt and wrongly sized UV maps. */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../../../src/image/encode.js';
import { planesToImage } from '../../../src/albedo/build/uv-maps.js';
import { readUvapm } from '../../../src/albedo/uvapm-format.js';
import { runBuildUvapmCommand, runEvalUvapmCommand } from '../../../src/cli/uvapm-commands.js';
import { PhotoAvatarError } from '../../../src/errors.js';
import { syntheticGenerator } from '../synthetic-maps.js';

async function captureStdout(run: () => Promise<number>): Promise<{ code: number; text: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true; }) as typeof process.stdout.write;
  try {
    return { code: await run(), text };
  } finally {
    process.stdout.write = original;
  }
}

describe('build-uvapm and eval-uvapm CLI with bad maps', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'uvapm-cli-'));
    const maps = path.join(dir, 'maps');
    const gen = syntheticGenerator(64, 4, 0.01);
    mkdirSync(maps);
    for (let i = 0; i < 6; i++) writeFileSync(path.join(maps, `m${i}.png`), encodePng(planesToImage(gen.map(i), 64)));
    const good = readFileSync(path.join(maps, 'm0.png'));
    writeFileSync(path.join(maps, 'a-broken.png'), good.subarray(0, good.length >> 1));
    writeFileSync(path.join(maps, 'b-notes.png'), 'these are not pixels\n');
    writeFileSync(path.join(maps, 'small.png'), encodePng(planesToImage(syntheticGenerator(32, 2).map(0), 32)));
    writeFileSync(path.join(maps, 'c-wide.png'), encodePng({ width: 64, height: 32, data: new Uint8Array(64 * 32 * 4).fill(200) }));
    const mask = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).fill(255) };
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if ((x - 32) ** 2 + (y - 32) ** 2 > 24 ** 2) mask.data.fill(0, (y * 64 + x) * 4, (y * 64 + x) * 4 + 3);
    writeFileSync(path.join(dir, 'mask.png'), encodePng(mask));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('skips bad maps by name, or stops with --strict', async () => {
    const out = path.join(dir, 'model.uvapm');
    const errors: string[] = [];
    const originalErr = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => { errors.push(String(chunk)); return true; }) as typeof process.stderr.write;
    let result: { code: number; text: string };
    try {
      result = await captureStdout(() => runBuildUvapmCommand([path.join(dir, 'maps'), '--size', '32', '--components', '100', '--mask', path.join(dir, 'mask.png'), '--backend', 'ts', '--fp16', '-o', out]));
    } finally {
      process.stderr.write = originalErr;
    }
    console.log(`      ${result.text.trim()}`);
    errors.filter((e) => e.includes('skipped')).forEach((e) => console.log(`      ${e.trim()}`));
    assert.equal(result.code, 0);
    const model = readUvapm(readFileSync(out));
    assert.deepEqual(model.provenance.skipped.map((s) => s.name).sort(), ['a-broken.png', 'b-notes.png', 'c-wide.png', 'small.png']);
    assert.match(model.provenance.skipped.find((s) => s.name === 'small.png')!.reason, /32×32, the other maps are 64×64/);
    assert.match(model.provenance.skipped.find((s) => s.name === 'c-wide.png')!.reason, /not square/);
    assert.equal(model.provenance.mapCount, 6);
    assert.equal(model.componentCount, 5, 'K is capped at maps − 1');
    assert.ok(!existsSync(`${out}.checkpoint`), 'the checkpoint is removed after a finished build');
    assert.ok(model.mask[16 * 32 + 16] === 1 && model.mask[0] === 0);
    // Decoding on the main thread (--workers 0) gives the same model as the worker threads.
    const mainThread = path.join(dir, 'main-thread.uvapm');
    const quietErr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await captureStdout(() => runBuildUvapmCommand([path.join(dir, 'maps'), '--size', '32', '--mask', path.join(dir, 'mask.png'), '--backend', 'ts', '--fp16', '--workers', '0', '--quiet', '-o', mainThread]));
    } finally {
      process.stderr.write = quietErr;
    }
    const same = readUvapm(readFileSync(mainThread));
    assert.deepEqual(same.components[1], model.components[1]);
    assert.deepEqual(same.provenance.skipped, model.provenance.skipped);
    await assert.rejects(
      runBuildUvapmCommand([path.join(dir, 'maps'), '--size', '32', '--strict', '--backend', 'ts', '--quiet', '-o', path.join(dir, 'strict.uvapm')]),
      (e: unknown) => e instanceof PhotoAvatarError && /a-broken\.png/.test(e.message) && /--strict/.test(e.message),
    );
    assert.ok(!existsSync(path.join(dir, 'strict.uvapm')));
  });

  it('eval-uvapm --json prints the reconstruction figures', async () => {
    const originalErr = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    let result: { code: number; text: string };
    try {
      result = await captureStdout(() => runEvalUvapmCommand([path.join(dir, 'model.uvapm'), path.join(dir, 'maps'), '--json', '-o', path.join(dir, 'report.json')]));
    } finally {
      process.stderr.write = originalErr;
    }
    assert.equal(result.code, 0);
    const report = JSON.parse(result.text);
    for (const key of ['psnr_coarse', 'ssim_coarse', 'mse_coarse', 'psnr_detail', 'ssim_detail', 'mse_detail', 'maps']) assert.equal(typeof report[key], 'number', key);
    console.log(`      eval on the 6 training maps + small.png: coarse ${report.psnr_coarse.toFixed(2)} dB / ${report.ssim_coarse.toFixed(3)}, detail ${report.psnr_detail.toFixed(2)} dB / ${report.ssim_detail.toFixed(3)}; skipped ${report.skipped.length}`);
    // small.png (32², square, not below the model size) is a valid map for evaluation.
    assert.equal(report.maps, 7);
    assert.deepEqual(report.skipped.map((s: { name: string }) => s.name), ['a-broken.png', 'b-notes.png', 'c-wide.png']);
    assert.ok(report.psnr_coarse > 30, 'maps inside the training set reconstruct well');
    assert.equal(JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')).maps, 7);
  });
});
