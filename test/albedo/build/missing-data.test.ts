/**
 * The builder honours per-map confidence as missing data: with 30% of each map's texels unobserved
 * (a random half-plane, like the unseen side of a face), the EM-imputed model reconstructs held-out
 * complete maps far better than one built from the same maps with the holes left in as zeros.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../../../src/image/encode.js';
import { planesToImage } from '../../../src/albedo/build/uv-maps.js';
import { readUvapm } from '../../../src/albedo/uvapm-format.js';
import { runBuildUvapmCommand } from '../../../src/cli/uvapm-commands.js';
import { buildUvapm, type UvMapInput } from '../../../src/albedo/build/builder.js';
import { projectUvMap } from '../../../src/albedo/project.js';
import { maskedQuality } from '../../../src/albedo/build/metrics.js';
import type { UvapmModel } from '../../../src/albedo/uvapm-format.js';
import { rng, syntheticGenerator } from '../synthetic-maps.js';

const SIZE = 24, D = SIZE * SIZE, TRAIN = 120, HELD_OUT = 20, MISSING = 0.3;

/** 0 on a random half-plane holding MISSING of the texels, 255 elsewhere. */
function halfPlaneConfidence(seed: number): Uint8Array {
  const random = rng(seed);
  const angle = random() * 2 * Math.PI, nx = Math.cos(angle), ny = Math.sin(angle);
  const projections = Array.from({ length: D }, (_, t) => nx * (t % SIZE) + ny * Math.floor(t / SIZE));
  const cut = [...projections].sort((a, b) => b - a)[Math.round(MISSING * D) - 1];
  return Uint8Array.from(projections, (p) => (p >= cut ? 0 : 255));
}

function meanHeldOutPsnr(model: UvapmModel, maps: Float32Array[]): number {
  const full = new Uint8Array(D).fill(1);
  return maps.reduce((sum, map) => sum + maskedQuality(map, projectUvMap(model, map, full, { regularization: 1e-6 }).reconstruction, full, SIZE).psnr, 0) / maps.length;
}

describe('UVAPM builder: per-map confidence as missing data', function () {
  this.timeout(60000);
  const gen = syntheticGenerator(SIZE, 6, 0.002, 11);
  const train = Array.from({ length: TRAIN }, (_, i) => gen.map(i));
  const confidence = train.map((_, i) => halfPlaneConfidence(500 + i));
  const heldOut = Array.from({ length: HELD_OUT }, (_, i) => gen.map(10000 + i));
  const options = { size: SIZE, components: 10, batchSize: 40, backend: 'ts' as const };
  const build = (load: (i: number) => UvMapInput, extra: object = {}) =>
    buildUvapm({ names: train.map((_, i) => `m${i}`), load: async (i) => load(i) }, { ...options, ...extra });

  it('with 30% of texels missing per map, the masked build reconstructs held-out maps better', async () => {
    const complete = (await build((i) => ({ planes: train[i] }))).model;
    const zeroFilled = (await build((i) => {
      const planes = Float32Array.from(train[i]);
      for (let c = 0; c < 3; c++) for (let t = 0; t < D; t++) if (!confidence[i][t]) planes[c * D + t] = 0;
      return { planes };
    })).model;
    // A fairer baseline: holes filled with the map's own mean observed colour (what a texture
    // completion's flat skin-tone fill would give), still without masks.
    const meanFilled = (await build((i) => {
      const planes = Float32Array.from(train[i]);
      for (let c = 0; c < 3; c++) {
        let sum = 0, count = 0;
        for (let t = 0; t < D; t++) if (confidence[i][t]) { sum += planes[c * D + t]; count++; }
        for (let t = 0; t < D; t++) if (!confidence[i][t]) planes[c * D + t] = sum / count;
      }
      return { planes };
    })).model;
    const holes = (i: number) => {
      // The values under the holes are garbage on purpose: they must never reach the model.
      const planes = Float32Array.from(train[i]);
      for (let c = 0; c < 3; c++) for (let t = 0; t < D; t++) if (!confidence[i][t]) planes[c * D + t] = 0;
      return { planes, confidence: confidence[i] };
    };
    const onePass = (await build(holes, { imputationPasses: 1 })).model;
    const em = (await build(holes)).model;
    const figures = {
      complete: meanHeldOutPsnr(complete, heldOut),
      zeroFilled: meanHeldOutPsnr(zeroFilled, heldOut),
      meanFilled: meanHeldOutPsnr(meanFilled, heldOut),
      onePass: meanHeldOutPsnr(onePass, heldOut),
      em: meanHeldOutPsnr(em, heldOut),
    };
    console.log(`      held-out PSNR (${HELD_OUT} complete maps, K=10, ${TRAIN} training maps with ${100 * MISSING}% missing):`);
    console.log(`      no missing data ${figures.complete.toFixed(2)} dB | no masks: holes as zeros ${figures.zeroFilled.toFixed(2)} dB, as the map's mean ${figures.meanFilled.toFixed(2)} dB | masks, 1 pass ${figures.onePass.toFixed(2)} dB | masks, EM 3 passes ${figures.em.toFixed(2)} dB`);
    console.log(`      provenance: ${JSON.stringify(em.provenance.missingData)}`);
    assert.ok(figures.em > figures.zeroFilled + 6, 'imputation must beat zeros by a wide margin');
    assert.ok(figures.em > figures.meanFilled + 3, 'and a flat fill');
    assert.ok(figures.em >= figures.onePass - 0.1, 'later EM passes must not make it worse');
    assert.ok(figures.em > figures.complete - 6, 'close to the model built without missing data');
    assert.equal(em.provenance.missingData?.mapsWithMissingTexels, TRAIN);
    assert.ok(Math.abs(em.provenance.missingData!.meanMissingFraction - MISSING) < 0.01);
    assert.equal(em.provenance.missingData?.passes, 3);
    // Maps without missing texels take one pass whatever the option says.
    assert.equal(complete.provenance.missingData, undefined);
  });

  it('a build with missing data resumed from a checkpoint in a later pass equals an uninterrupted one', async () => {
    let saved: Uint8Array | null = null;
    const store = { load: async () => saved, save: async (bytes: Uint8Array) => { saved = bytes; } };
    const load = (i: number) => ({ planes: train[i], confidence: confidence[i] });
    const whole = (await build(load)).model;
    // stopAfter counts inputs over all passes: 120 + 80 stops 80 maps into the second pass, whose
    // checkpoint must carry the first pass's model.
    const names = train.map((_, i) => `m${i}`);
    const first = await buildUvapm({ names, load: async (i) => load(i) }, { ...options, checkpoint: store, checkpointEvery: 40, stopAfter: TRAIN + 80 });
    assert.ok(first.interrupted);
    const second = await buildUvapm({ names, load: async (i) => load(i) }, { ...options, checkpoint: store, checkpointEvery: 40 });
    assert.equal(second.resumedFrom, 80);
    assert.deepEqual(second.model.components[0], whole.components[0]);
    assert.deepEqual(second.model.means[2], whole.means[2]);
  });

  it('build-uvapm pairs <stem>.confidence.png with <stem>.png (worker threads and main thread alike)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uvapm-confidence-'));
    try {
      const maps = path.join(dir, 'maps');
      mkdirSync(maps);
      for (let i = 0; i < 12; i++) {
        writeFileSync(path.join(maps, `m${i}.png`), encodePng(planesToImage(train[i], SIZE)));
        const grey = new Uint8Array(D * 4);
        for (let t = 0; t < D; t++) grey.fill(confidence[i][t], 4 * t, 4 * t + 3), grey[4 * t + 3] = 255;
        writeFileSync(path.join(maps, `m${i}.confidence.png`), encodePng({ width: SIZE, height: SIZE, data: grey }));
      }
      const quiet = process.stderr.write.bind(process.stderr), out = process.stdout.write.bind(process.stdout);
      let text = '';
      process.stderr.write = (() => true) as typeof process.stderr.write;
      process.stdout.write = ((chunk: string) => { text += chunk; return true; }) as typeof process.stdout.write;
      try {
        for (const workers of ['0', '1']) {
          assert.equal(await runBuildUvapmCommand([maps, '--size', String(SIZE), '--components', '6', '--backend', 'ts', '--workers', workers, '--quiet', '-o', path.join(dir, `w${workers}.uvapm`)]), 0);
        }
      } finally {
        process.stderr.write = quiet;
        process.stdout.write = out;
      }
      console.log(`      ${text.trim().split('\n')[0]}`);
      const [main, worker] = ['0', '1'].map((w) => readUvapm(readFileSync(path.join(dir, `w${w}.uvapm`))));
      assert.equal(main.provenance.mapCount, 12, 'confidence files are not maps');
      assert.equal(main.provenance.missingData?.mapsWithMissingTexels, 12);
      assert.deepEqual(worker.components[1], main.components[1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
