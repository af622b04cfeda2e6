import { strict as assert } from 'node:assert';
import { buildUvapm } from '../../src/albedo/build/builder.js';
import { fitUvapmUnderLight } from '../../src/albedo/fit-albedo.js';
import {
  initialParameters, minimisePhotometricWithAdam, packParameters, parameterCount, photometricObjective, photometricProblem,
} from '../../src/albedo/first-order-albedo.js';
import { observeSyntheticViews, rng, syntheticGenerator } from './synthetic-maps.js';

describe('Adam on the stage-2 photometric objective', function () {
  const d = 8;
  const setup = (async () => {
    const gen = syntheticGenerator(d, 4, 0.002);
    const { model } = await buildUvapm({ names: Array.from({ length: 20 }, (_, i) => `${i}`), load: async (i) => ({ planes: gen.map(i) }) }, { size: d, components: 4, backend: 'ts' });
    const { observations, reference } = observeSyntheticViews(gen.map(777), d, 3);
    const options = { lightReference: reference, regularization: 3e-3 };
    return { model, observations, options, problem: photometricProblem(model, observations, options) };
  })();

  it('analytic gradient matches central finite differences', async () => {
    const { problem } = await setup;
    const P = parameterCount(problem), random = rng(11);
    // Off the start, so the prior and the light-prior terms all contribute.
    const x = initialParameters(problem);
    const stride = problem.K + 9 * problem.V;
    for (let p = 0; p < P; p++) {
      const c = Math.floor(p / stride), k = p % stride;
      x[p] += (random() - 0.5) * (k < problem.K ? Math.sqrt(problem.variances[c][k]) : 0.1);
    }
    const gradient = new Float64Array(P);
    photometricObjective(problem, x, gradient);
    let worst = 0, norm = 0;
    for (let p = 0; p < P; p++) norm = Math.max(norm, Math.abs(gradient[p]));
    for (let p = 0; p < P; p++) {
      const h = 1e-5, saved = x[p];
      x[p] = saved + h; const plus = photometricObjective(problem, x);
      x[p] = saved - h; const minus = photometricObjective(problem, x);
      x[p] = saved;
      const numeric = (plus - minus) / (2 * h);
      // Relative per component, floored at 1e-3 of the largest so round-off on tiny entries does not count.
      worst = Math.max(worst, Math.abs(gradient[p] - numeric) / Math.max(Math.abs(numeric), 1e-3 * norm));
    }
    console.log(`      worst relative error ${worst.toExponential(2)} over ${P} parameters`);
    assert.ok(worst < 1e-3, `worst relative gradient error ${worst}`);
  });

  it('Adam lowers the objective, and the solver lowers the same number', async () => {
    const { model, observations, options, problem } = await setup;
    const start = photometricObjective(problem, initialParameters(problem));
    const adam = minimisePhotometricWithAdam(problem, { learningRate: 0.03, maxSteps: 300 });
    assert.ok(!adam.diverged);
    assert.equal(adam.costs[0], start);
    assert.ok(adam.costs[adam.costs.length - 1] < 0.9 * start, `Adam: ${start} -> ${adam.costs[adam.costs.length - 1]}`);
    const fit = await fitUvapmUnderLight(model, observations, { ...options, rounds: 4 });
    const solved = photometricObjective(problem, packParameters(problem, fit.coefficients, fit.lights));
    assert.ok(solved < start, `solver: ${start} -> ${solved}`);
  });

  it('is the very objective the solver reports (with and without a reference light, default λ)', async () => {
    const { model, observations, options } = await setup;
    for (const settings of [options, { lightReference: options.lightReference }, {}]) {
      const problem = photometricProblem(model, observations, settings);
      const fit = await fitUvapmUnderLight(model, observations, { ...settings, rounds: 3 });
      const here = photometricObjective(problem, packParameters(problem, fit.coefficients, fit.lights));
      const reported = fit.objective[fit.objective.length - 1];
      assert.ok(Math.abs(here / reported - 1) < 1e-6, `${JSON.stringify(Object.keys(settings))}: ${here} vs the solver's ${reported}`);
    }
  });
});
