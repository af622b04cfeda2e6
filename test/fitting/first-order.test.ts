/**
 * The Adam baseline (first-order.ts) on fitFace's own objective, procedural head: the gradient it
 * steps along matches central finite differences of the cost, the pruned gradient graph agrees
 * with the full landmark graph, and Adam lowers the cost towards, never below, LM's minimum.
 */
import assert from 'node:assert/strict';
import { fitFace, type FitProblem } from '../../src/fitting/fit-face.js';
import {
  GradientGraph, applyParameterStep, createRotationScratch, minimiseWithAdam, objectiveCost, objectiveGradient, parameterScales,
} from '../../src/fitting/first-order.js';
import { GraphBuilder, pruneGraph } from '../../src/inference/onnx-builder.js';
import { PhotoAvatarError } from '../../src/errors.js';
import { makeSyntheticHead, rng, syntheticObservation } from './synthetic-head.js';

const imageWidth = 640, imageHeight = 480;
const camera = { focal: 1.2 * imageWidth, cx: (imageWidth - 1) / 2, cy: (imageHeight - 1) / 2 };

describe('fitting: first-order (Adam) baseline', () => {
  const model = makeSyntheticHead({ identityCount: 20, expressionCount: 10 });
  let problem: FitProblem;
  let lmCosts: number[];
  let gradientGraph: GradientGraph;

  before(async () => {
    const { observation } = syntheticObservation(model, 5, camera, { noisePx: 0.5 });
    let captured: FitProblem | null = null;
    lmCosts = [];
    await fitFace(model, observation, {
      imageWidth, imageHeight, backend: 'wasm',
      onProblem: (p) => { captured = p; },
      onCost: (cost) => lmCosts.push(cost),
    });
    assert.ok(captured, 'fitFace reported its problem');
    problem = captured;
    gradientGraph = await GradientGraph.create(model, problem.system.set, { backend: 'wasm' });
  });

  after(() => gradientGraph?.release());

  /** A point off the start (coefficients non-zero, expression inside its bounds) so every term has a gradient. */
  function offStartState() {
    const random = rng(11);
    const K = model.identityCount;
    const coefficients = Float64Array.from(problem.start.coefficients, (_, k) => (k < K ? 0.5 * (2 * random() - 1) * model.identityStd[k] : 0.2 + 0.5 * random()));
    return { ...problem.start, rotation: problem.start.rotation.slice(), translation: problem.start.translation.slice(), coefficients };
  }

  it('steps along the gradient of the cost: central finite differences agree (rel. error < 1e-3)', async () => {
    const state = offStartState();
    const corr = problem.correspondences;
    const M = 6 + problem.priorPrecision.length;
    const evaluation = await gradientGraph.evaluate(state, corr);
    const analytic = objectiveGradient(evaluation.jtr, state.coefficients, problem.priorPrecision, problem.columns, new Float64Array(M));

    const scales = parameterScales(problem.priorPrecision, { rotation: 1, translation: 0.2, coefficient: 1 });
    const numeric = new Float64Array(M);
    const step = new Float64Array(M);
    const scratch = createRotationScratch();
    const costAt = async (column: number, h: number) => {
      const trial = { ...state, rotation: state.rotation.slice(), translation: state.translation.slice(), coefficients: state.coefficients.slice() };
      step.fill(0);
      step[column] = h;
      applyParameterStep(trial, step, problem.bounds, scratch);
      const ev = await gradientGraph.evaluate(trial, corr);
      return objectiveCost(ev.residual, corr.sqrtWeight, trial.coefficients, problem.priorPrecision);
    };
    for (let column = 0; column < problem.columns; column++) {
      // The cost comes from float32 residuals: steps of 1e-3 of a parameter's natural size (1 rad, 0.2 m, 1 std) keep its rounding far below 1e-3.
      const h = 1e-3 * scales[column];
      numeric[column] = ((await costAt(column, h)) - (await costAt(column, -h))) / (2 * h);
    }
    let diff = 0, norm = 0, worstBlock = '';
    const blocks = [['rotation', 0, 3], ['translation', 3, 6], ['identity', 6, 6 + model.identityCount], ['expression', 6 + model.identityCount, problem.columns]] as const;
    for (const [name, from, to] of blocks) {
      let d = 0, n = 0;
      for (let i = from; i < to; i++) { d += ((numeric[i] - analytic[i]) * scales[i]) ** 2; n += (analytic[i] * scales[i]) ** 2; }
      diff += d; norm += n;
      worstBlock += ` ${name} ${Math.sqrt(d / n).toExponential(2)}`;
    }
    const relative = Math.sqrt(diff / norm);
    console.log(`      gradient vs central differences (scaled units): overall rel. error ${relative.toExponential(2)}; per block${worstBlock}`);
    assert.ok(relative < 1e-3, `relative gradient error ${relative}`);
  });

  it('pruned and reverse-mode gradient graphs give the full landmark graph\'s cost and J^T W r', async () => {
    const state = offStartState();
    // Every third row on a segment between two vertices, as sliding jaw rows are.
    const random = rng(5);
    const base = problem.correspondences;
    const n = base.unionIndex.length;
    const corr = {
      ...base,
      unionIndexB: BigInt64Array.from(base.unionIndex, (u, i) => (i % 3 === 0 ? base.unionIndex[(i + 1) % n] : u)),
      blend: Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? random() : 0)),
    };
    const reverse = await GradientGraph.create(model, problem.system.set, { backend: 'wasm', mode: 'reverse' });
    try {
      const full = await problem.system.evaluate(state, corr);
      const fullCost = objectiveCost(full.residual, corr.sqrtWeight, state.coefficients, problem.priorPrecision);
      for (const [label, graph] of [['pruned', gradientGraph], ['reverse', reverse]] as const) {
        const ev = await graph.evaluate(state, corr);
        const cost = objectiveCost(ev.residual, corr.sqrtWeight, state.coefficients, problem.priorPrecision);
        let diff = 0, norm = 0, projectedDiff = 0;
        for (let i = 0; i < full.jtr.length; i++) { diff += (full.jtr[i] - ev.jtr[i]) ** 2; norm += full.jtr[i] ** 2; }
        for (let i = 0; i < full.projected.length; i++) projectedDiff = Math.max(projectedDiff, Math.abs(full.projected[i] - ev.projected[i]));
        const relative = Math.sqrt(diff / norm);
        console.log(`      ${label} vs full graph: cost ${cost.toFixed(4)} vs ${fullCost.toFixed(4)}, J^T W r rel. difference ${relative.toExponential(2)}, projected max diff ${projectedDiff.toExponential(2)} px`);
        assert.ok(Math.abs(cost - fullCost) <= 1e-6 * fullCost, `${label} cost`);
        assert.ok(relative < 1e-5, `${label} gradient differs by ${relative}`);
        assert.ok(projectedDiff < 1e-3, `${label} projected`);
      }
    } finally {
      await reverse.release();
    }
  });

  it('lowers the cost from the start point towards LM\'s minimum, not below it', async () => {
    const run = await minimiseWithAdam(problem, gradientGraph, { learningRate: 0.03, maxSteps: 250 });
    const start = run.costs[0], final = run.costs[run.costs.length - 1], lmFinal = lmCosts[lmCosts.length - 1];
    console.log(`      Adam 250 steps: cost ${start.toFixed(1)} -> ${final.toFixed(2)} (best ${run.bestCost.toFixed(2)}, ${run.elapsedMs[run.elapsedMs.length - 1].toFixed(0)} ms); LM: ${lmCosts[0].toFixed(1)} -> ${lmFinal.toFixed(2)} in ${lmCosts.length - 1} accepted steps`);
    assert.equal(run.diverged, false);
    assert.ok(Math.abs(start - lmCosts[0]) <= 1e-6 * start, 'Adam and LM start from the same cost');
    assert.ok(final < 0.1 * start, `Adam lowered the cost ${start} -> ${final}`);
    assert.ok(run.bestCost >= lmFinal * (1 - 1e-3), `Adam's best ${run.bestCost} is not below LM's minimum ${lmFinal}`);
    assert.ok(run.elapsedMs.every((t, i) => i === 0 || t >= run.elapsedMs[i - 1]), 'timestamps increase');
    assert.ok(problem.bounds === null || run.coefficients.subarray(problem.bounds.from, problem.bounds.to).every((w) => w >= 0 && w <= 1));
  });

  it('rejects a graph that is not the landmark graph and a non-positive learning rate', async () => {
    const g = new GraphBuilder();
    g.input('x', [1]);
    g.node('Neg', ['x'], ['y']);
    g.output('y', [1]);
    assert.throws(() => pruneGraph(g, ['jtr']), PhotoAvatarError);
    await assert.rejects(minimiseWithAdam(problem, gradientGraph, { learningRate: 0 }), PhotoAvatarError);
  });
});
