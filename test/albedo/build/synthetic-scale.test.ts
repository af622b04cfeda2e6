/**
 * Builder at synthetic scale: thousands of generated low-resolution maps stream through the
 * incremental PCA while heap + ArrayBuffer memory stays flat, and an interrupted build resumed from
 * its checkpoint yields exactly the model of an uninterrupted build.
 */
import { strict as assert } from 'node:assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildUvapm, type CheckpointStore } from '../../../src/albedo/build/builder.js';
import { writeUvapm } from '../../../src/albedo/uvapm-format.js';
import { syntheticGenerator } from '../synthetic-maps.js';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function memoryStore(): CheckpointStore & { saves: number; bytes: Uint8Array | null } {
  const store = {
    saves: 0,
    bytes: null as Uint8Array | null,
    load: async () => store.bytes,
    save: async (b: Uint8Array) => { store.bytes = b.slice(); store.saves++; },
  };
  return store;
}

describe('UVAPM builder at synthetic scale', function () {
  const size = 32, rank = 12;
  const gen = syntheticGenerator(size, rank, 0.004);
  const source = (count: number) => ({ names: Array.from({ length: count }, (_, i) => `synthetic-${i}`), load: async (i: number) => ({ planes: gen.map(i) }) });

  it('memory stays flat over 3,000 maps', async () => {
    const samples: { maps: number; mb: number }[] = [];
    let lastEta = 0;
    const { model, seconds } = await buildUvapm(source(3000), {
      size, components: 40, batchSize: 100, backend: 'ts',
      onProgress: (p) => {
        collect();
        const m = process.memoryUsage();
        samples.push({ maps: p.folded, mb: (m.heapUsed + m.arrayBuffers) / 2 ** 20 });
        lastEta = p.etaSeconds ?? -1;
      },
    });
    // Peaks of the first and second half: a leak of even one batch buffer (1.2 MB) per batch would
    // add ~18 MB over the 15 later batches; gc timing noise is a few MB.
    const half = samples.length >> 1;
    const early = samples.slice(1, half).map((s) => s.mb), late = samples.slice(half).map((s) => s.mb);
    const growth = Math.max(...late) - Math.max(...early);
    console.log(`      3000 maps of ${size}² in ${seconds.toFixed(1)} s (${(3000 / seconds).toFixed(0)} maps/s), K=${model.componentCount}; last ETA ${lastEta.toFixed(2)} s`);
    console.log(`      heap+ArrayBuffers MB after batches: ${samples.filter((_, i) => i % 5 === 0).map((s) => `${s.maps}:${s.mb.toFixed(1)}`).join(' ')}`);
    console.log(`      peak growth, first half -> second half of the build: ${growth.toFixed(2)} MB`);
    assert.ok(growth < 8, `memory grew by ${growth.toFixed(2)} MB`);
    assert.equal(model.provenance.mapCount, 3000);
    const explained = model.explainedVarianceRatio[0].subarray(0, rank).reduce((a, b) => a + b, 0);
    console.log(`      explained variance of the ${rank} generating modes: ${explained.toFixed(4)}`);
    assert.ok(explained > 0.95);
  });

  it('an interrupted build resumed from its checkpoint equals an uninterrupted build', async () => {
    const options = { size, components: 20, batchSize: 50, backend: 'ts' as const, checkpointEvery: 200 };
    const whole = await buildUvapm(source(1000), options);
    const store = memoryStore();
    const first = await buildUvapm(source(1000), { ...options, checkpoint: store, stopAfter: 430 });
    assert.ok(first.interrupted);
    const second = await buildUvapm(source(1000), { ...options, checkpoint: store });
    console.log(`      interrupted after 450 maps (checkpoints written: ${store.saves}), resumed from map ${second.resumedFrom}`);
    assert.equal(second.resumedFrom, 450);
    const a = whole.model, b = second.model;
    assert.equal(b.provenance.mapCount, 1000);
    for (let c = 0; c < 3; c++) {
      assert.deepEqual(b.means[c], a.means[c]);
      assert.deepEqual(b.components[c], a.components[c]);
      assert.deepEqual(b.singularValues[c], a.singularValues[c]);
    }
    // A checkpoint from other settings is refused, not silently mixed in.
    await assert.rejects(buildUvapm(source(1000), { ...options, components: 21, checkpoint: store }), /checkpoint belongs to a build with other/);
    assert.ok(writeUvapm(b).length > 0);
  });
});
