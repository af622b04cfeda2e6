/**
 * Stage 2 (fitUvapmUnderLight: closed-form light solves + a joint Gauss-Newton step per round)
 * against Adam on the same photometric objective (src/albedo/first-order-albedo.ts: UVAPM
 * coefficients + one SH light per photo, the paper's differentiable-rendering fit), same start
 * (mean albedo, the closed-form light under it), in one run (Node). Per case: our final objective
 * (default 4 rounds) and time; Adam's time to reach it (within 1e-3 relative, as bench/fit-vs-adam.ts),
 * Adam's best objective at our time, and the speed-up; also with our time taken at the fewest
 * rounds that reach the same bar (the default spends rounds past convergence), and to 1e-5.
 *   npm run bench:albedo-fit
 *   npx tsx bench/fit-albedo-vs-adam.ts [--no-synthetic] [photo ...]
 *
 * Cases: real photos with the default head and its embedded UVAPM (observations built as
 * albedo/albedo.ts fitCoarseAlbedo builds them, at texture size 512, photo-only lights as the
 * light reference), and a synthetic 128² UVAPM with K = 50 (closer to the paper's model size).
 *
 * Fairness, in Adam's favour where there was a choice: the gradient is analytic and hand-written
 * on compacted typed arrays (no autodiff overhead), Adam starts where our solver's first light
 * solve lands, and its learning rate and light step unit are tuned per case (SWEEP; steps, not
 * time, pick the winner; each candidate is capped at the fewest steps an earlier one needed). Its
 * times include building the compacted problem and that start. Our time is the whole call, median
 * of 3 after a warm-up. Wall clock on a shared machine: compare within one run.
 */
// Node asset loader (assets/generated): benches import the sources, not the package's node entry.
import '../src/node/asset-files.js';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/image/decode.js';
import { getFaceAnalyzer, loadDefaultHead, loadDefaultHeadAlbedoModel } from '../src/pipeline.js';
import { selectFace } from '../src/inference/face/analyzer.js';
import { fitFace } from '../src/fitting/fit-face.js';
import { delightView, viewAtModelSize } from '../src/albedo/albedo.js';
import { buildUvapm } from '../src/albedo/build/builder.js';
import { fitUvapmUnderLight, type PhotometricFitOptions, type UvapmObservation } from '../src/albedo/fit-albedo.js';
import {
  initialParameters, minimisePhotometricWithAdam, packParameters, photometricObjective, photometricProblem, type PhotometricAdamResult,
} from '../src/albedo/first-order-albedo.js';
import type { UvapmModel } from '../src/albedo/uvapm-format.js';
import { observeSyntheticViews, syntheticGenerator } from '../test/albedo/synthetic-maps.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const photoDir = path.resolve(root, '..', 'shared', 'data', 'photos');
const DEFAULT_PHOTOS = ['deep3d/000002.jpg', 'deep3d/000006.jpg', 'hrn/single/00016.png', 'hrn/single/00133.png'];
const TEXTURE_SIZE = 512;
const ROUNDS = 4;
const RELATIVE_TOLERANCE = 1e-3;
/** Also reported: our rounds settle the objective to about this within 2-3 rounds. */
const TIGHT_TOLERANCE = 1e-5;
interface Candidate { rate: number; lightScale: number }
/** Likeliest first (it caps the others). */
const SWEEP: Candidate[] = [0.03, 0.1, 0.01, 0.3, 1, 0.003].flatMap((rate) => [0.1, 0.03, 0.3, 1].map((lightScale) => ({ rate, lightScale })));
/** At 16 ms a step, a subset: the light unit mattered least on the photos. */
const SYNTHETIC_SWEEP = SWEEP.filter((s) => s.lightScale === 0.1 && s.rate >= 0.01);
const SWEEP_STEPS = 4000;

const args = process.argv.slice(2);
const synthetic = !args.includes('--no-synthetic');
const photoArgs = args.filter((a) => !a.startsWith('--'));
const photos = photoArgs.length ? photoArgs : DEFAULT_PHOTOS.map((p) => path.join(photoDir, p)).filter(existsSync);

const fmt = (x: number) => x.toPrecision(6);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

interface Case { name: string; model: UvapmModel; observations: UvapmObservation[]; options: PhotometricFitOptions; maxSteps: number; maxMs: number; sweep: Candidate[] }
interface Row {
  name: string;
  reached: boolean;
  /** Adam's time to our final objective +RELATIVE_TOLERANCE (its whole budget when not reached) over our default call's time. */
  speedUp: number;
  /** The same over the time of our fewest rounds that reach that target (both solvers timed to the same bar). */
  sameBar: number;
  tightReached: boolean;
  /** To +TIGHT_TOLERANCE, over the time of our fewest rounds that reach it. */
  tight: number;
}

function firstAtOrBelow(run: PhotometricAdamResult, target: number): number | null {
  for (let i = 0; i < run.costs.length; i++) if (run.costs[i] <= target) return i;
  return null;
}

function bestCostBy(run: PhotometricAdamResult, ms: number): number {
  let best = Infinity;
  for (let i = 0; i < run.costs.length && run.elapsedMs[i] <= ms; i++) best = Math.min(best, run.costs[i]);
  return best;
}

async function compare(c: Case): Promise<Row> {
  const { model, observations, options } = c;
  const build = () => { const problem = photometricProblem(model, observations, options); return { problem, start: initialParameters(problem) }; };
  const setupTimes: number[] = [];
  let built = build();
  built = build();
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); built = build(); setupTimes.push(performance.now() - t0); }
  const setupMs = median(setupTimes);
  const { problem, start } = built;
  const startCost = photometricObjective(problem, start);

  // Our solver: each round count timed as a whole call (median of 3 after a warm-up).
  await fitUvapmUnderLight(model, observations, { ...options, rounds: 1 });
  const trace: { rounds: number; cost: number; ms: number }[] = [];
  for (let rounds = 1; rounds <= 6; rounds++) {
    const times: number[] = [];
    let cost = NaN;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const fit = await fitUvapmUnderLight(model, observations, { ...options, rounds });
      times.push(performance.now() - t0);
      cost = photometricObjective(problem, packParameters(problem, fit.coefficients, fit.lights));
    }
    trace.push({ rounds, cost, ms: median(times) });
  }
  const ours = trace[ROUNDS - 1];
  // The same solver with its Gram products in TypeScript (no ONNX call overhead): shown, not summarised.
  const tsTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await fitUvapmUnderLight(model, observations, { ...options, rounds: ROUNDS, onnxAbove: Infinity });
    tsTimes.push(performance.now() - t0);
  }
  const oursTsMs = median(tsTimes);
  const target = ours.cost * (1 + RELATIVE_TOLERANCE);
  const tightTarget = ours.cost * (1 + TIGHT_TOLERANCE);
  // Our fewest rounds to a bar (rounds are timed as whole calls; our objective is not monotone in rounds past convergence).
  const oursTo = (bar: number) => (trace.find((t) => t.cost <= bar) ?? ours).ms;

  const run = (candidate: Candidate, maxSteps: number, targetCost: number) => minimisePhotometricWithAdam(problem, {
    start, learningRate: candidate.rate, lightScale: candidate.lightScale, maxSteps, maxMs: c.maxMs, targetCost,
  });
  const sweep: string[] = [];
  let best: { run: PhotometricAdamResult; candidate: Candidate } | null = null;
  const reachedIn = (r: PhotometricAdamResult) => (r.costs[r.costs.length - 1] <= target ? r.steps : Infinity);
  for (const candidate of c.sweep) {
    const cap = best && reachedIn(best.run) < Infinity ? best.run.steps : Math.min(SWEEP_STEPS, c.maxSteps);
    const r = run(candidate, cap, target);
    const steps = reachedIn(r);
    sweep.push(`${candidate.rate}/${candidate.lightScale} ${r.diverged ? 'diverged' : steps < Infinity ? steps : `>${r.steps}`}`);
    if (r.diverged) continue;
    if (!best || steps < reachedIn(best.run) || (steps === Infinity && reachedIn(best.run) === Infinity && r.bestCost < best.run.bestCost)) best = { run: r, candidate };
  }
  if (!best) throw new Error(`${c.name}: Adam diverged with every setting`);
  // The reported run: the winner again, on to the tight target (or the budget).
  const adam = run(best.candidate, c.maxSteps, tightTarget);
  const at = firstAtOrBelow(adam, target), atTight = firstAtOrBelow(adam, tightTarget);
  const spent = setupMs + adam.elapsedMs[adam.elapsedMs.length - 1];
  const reachedMs = at === null ? null : setupMs + adam.elapsedMs[at];
  const tightMs = atTight === null ? null : setupMs + adam.elapsedMs[atTight];
  const atOurs = bestCostBy(adam, ours.ms - setupMs);
  const speedUp = (reachedMs ?? spent) / ours.ms;
  const last = adam.costs[adam.costs.length - 1];

  console.log(`\n${c.name}: UVAPM ${model.size}² K ${model.componentCount}, ${problem.N} texels, ${problem.V} view(s); load ${os.loadavg()[0].toFixed(1)}; start objective ${fmt(startCost)}`);
  console.log(`  ours by rounds (objective @ ms): ${trace.map((t) => `${t.rounds}: ${fmt(t.cost)} @ ${t.ms.toFixed(1)}`).join(', ')}`);
  console.log(`  ours (${ROUNDS} rounds, the default): ${fmt(ours.cost)} in ${ours.ms.toFixed(1)} ms (${oursTsMs.toFixed(1)} ms with TypeScript Gram products)`);
  console.log(`  Adam sweep (lr/light unit: steps to +${RELATIVE_TOLERANCE * 100}%): ${sweep.join(', ')} -> ${best.candidate.rate}/${best.candidate.lightScale}`);
  console.log(`  Adam at our time (${ours.ms.toFixed(1)} ms, setup ${setupMs.toFixed(1)} ms included): ${Number.isFinite(atOurs) ? `${fmt(atOurs)} (${(atOurs / ours.cost).toFixed(4)}x ours)` : 'still in setup'}`);
  console.log(reachedMs !== null
    ? `  Adam to ours +${RELATIVE_TOLERANCE * 100}%: ${reachedMs.toFixed(0)} ms, ${at} steps (${((reachedMs - setupMs) / Math.max(at!, 1)).toFixed(3)} ms/step) -> ${speedUp.toFixed(1)}x`
    : `  Adam to ours +${RELATIVE_TOLERANCE * 100}%: not reached in ${(spent / 1000).toFixed(1)} s, ${adam.steps} steps (last ${fmt(last)}, ${(last / ours.cost).toFixed(4)}x ours) -> >${speedUp.toFixed(1)}x`);
  const sameBar = (reachedMs ?? spent) / oursTo(target), tight = (tightMs ?? spent) / oursTo(tightTarget);
  console.log(`  same bar for both (ours: fewest rounds reaching it, ${oursTo(target).toFixed(1)} ms): ${reachedMs === null ? '>' : ''}${sameBar.toFixed(1)}x`);
  console.log(tightMs !== null
    ? `  Adam to ours +${TIGHT_TOLERANCE * 100}%: ${tightMs.toFixed(0)} ms, ${atTight} steps; ours ${oursTo(tightTarget).toFixed(1)} ms -> ${tight.toFixed(1)}x`
    : `  Adam to ours +${TIGHT_TOLERANCE * 100}%: not reached in ${(spent / 1000).toFixed(1)} s, ${adam.steps} steps (last ${(last / ours.cost).toFixed(6)}x ours); ours ${oursTo(tightTarget).toFixed(1)} ms -> >${tight.toFixed(1)}x`);
  return { name: c.name, reached: reachedMs !== null, speedUp, sameBar, tightReached: tightMs !== null, tight };
}

async function photoCase(file: string, albedoModel: UvapmModel): Promise<Case> {
  const model = await loadDefaultHead();
  const analyzer = await getFaceAnalyzer('wasm');
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  const face = selectFace(await analyzer.analyze(image));
  const [skinMask, faceMask] = await Promise.all([analyzer.skinMask(image, face), analyzer.faceMask(image, face)]);
  const fit = await fitFace(model, face, { imageWidth: image.width, imageHeight: image.height, fitExpression: true, backend: 'wasm' });
  const view = await delightView({ image, model, vertices: fit.vertices, camera: fit.camera, skinMask, faceMask }, TEXTURE_SIZE);
  const observation = viewAtModelSize(view, albedoModel.size);
  const name = path.relative(photoDir, file).startsWith('..') ? file : path.relative(photoDir, file);
  return { name, model: albedoModel, observations: [observation], options: { lightReference: [view.light] }, maxSteps: 50000, maxMs: 10000, sweep: SWEEP };
}

/** Two views of an in-model albedo on a bulging UV-space surface, each under its own SH light, plus noise. */
async function syntheticCase(d: number, K: number): Promise<Case> {
  const gen = syntheticGenerator(d, 12, 0.004);
  const { model } = await buildUvapm({ names: Array.from({ length: K + 10 }, (_, i) => `${i}`), load: async (i) => ({ planes: gen.map(i) }) }, { size: d, components: K, backend: 'ts' });
  const { observations, reference } = observeSyntheticViews(gen.map(9999), d, 5, 0.01);
  return { name: `synthetic ${d}² K ${K}, 2 views`, model, observations, options: { lightReference: reference }, maxSteps: 20000, maxMs: 20000, sweep: SYNTHETIC_SWEEP };
}

console.log(`${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; Adam sweep of ${SWEEP.length} settings (synthetic: ${SYNTHETIC_SWEEP.length}), ${SWEEP_STEPS} steps each at most`);
const rows: Row[] = [];
const albedoModel = await loadDefaultHeadAlbedoModel();
if (!albedoModel) console.log('no embedded UVAPM in this build: photo cases skipped');
else if (!photos.length) console.log(`no photos: pass photo paths, or put the shared data at ${photoDir}`);
else for (const file of photos) rows.push(await compare(await photoCase(file, albedoModel)));
if (synthetic) rows.push(await compare(await syntheticCase(128, 50)));

const list = (pick: (r: Row) => number, lower: (r: Row) => boolean) => rows.map((r) => `${lower(r) ? '>' : ''}${pick(r).toFixed(1)}x`).join(', ');
console.log(`\nsummary (${rows.length} cases, ${rows.filter((r) => r.reached).length} reached by Adam): our speed-up to our objective +${RELATIVE_TOLERANCE * 100}%: ${list((r) => r.speedUp, (r) => !r.reached)}`
  + ` (median ${median(rows.map((r) => r.speedUp)).toFixed(1)}x);`
  + ` same bar for both: ${list((r) => r.sameBar, (r) => !r.reached)} (median ${median(rows.map((r) => r.sameBar)).toFixed(1)}x);`
  + ` to +${TIGHT_TOLERANCE * 100}%: ${list((r) => r.tight, (r) => !r.tightReached)} (median ${median(rows.map((r) => r.tight)).toFixed(1)}x).`
  + ` Target >= 20x (to +${RELATIVE_TOLERANCE * 100}%, our default call): median ${median(rows.map((r) => r.speedUp)) >= 20 ? 'met' : 'NOT met'}, every case ${rows.every((r) => r.speedUp >= 20) ? 'met' : 'NOT met'}.`);
if (albedoModel && photos.length) await (await getFaceAnalyzer('wasm')).dispose();
