/**
 * Cold start of `photo-avatar create` (a new process: module loading, WASM start-up, model pack
 * decode, onnxruntime sessions), this tree against a git ref (default the branch's merge base with
 * main), measured in one run with the two builds alternating: wall time, peak resident memory and
 * the report's per-stage times, medians of --runs runs each, and the ratios. The ref is
 * unpacked with `git archive` into a temporary folder beside this tree's node_modules and
 * assets/generated and compiled there; this tree's dist/ must be built (npx tsc -p tsconfig.json).
 * `--model FILE` passes a model pack to both (e.g. one imported with `photo-avatar import`).
 * `--warm N` measures the warm path instead, as an application making several avatars does: per
 * run, one Node process loads both trees' compiled modules, makes one avatar with each (discarded:
 * sessions and per-model caches are built), then N more with each, alternating avatar by avatar
 * (so a shared machine's load falls on both alike), each with the photo's decode and the compact
 * GLB (the photo decoded as the node entry's `decodePhoto` does, where the tree has it), then
 * `setHair` (the hair mesh of the avatar's style built again on its fitted head); medians
 * over every run's avatars, per stage, and the process's CPU time per avatar (cpuWithSetHair: on a
 * loaded machine it moves less than the wall times). A cold run's CPU row is the child's user +
 * system time (all threads). A cold run passes --report for the stage times, and its wall time
 * includes the report's fit-quality metrics; `wall - metrics` leaves them out, which is what a
 * plain `create` costs. Each cold run is followed by a plain `create` (no --report), whose wall
 * time and peak resident memory are the `plain` rows: what the issue's targets measure.
 *   npx tsx bench/cold-start.ts [--ref REF] [--runs N] [--model FILE] [--warm N] [photo]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnCli } from '../test/hostile/cli-child.js';
import { projectRoot } from '../test/helpers/shared-data.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const runs = Number(option('--runs') ?? 3);
const modelFile = option('--model');
const warmAvatars = Number(option('--warm') ?? 0);
const ref = option('--ref') ?? execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: projectRoot }).toString().trim();
const photo = path.resolve(args[0] ?? path.join(projectRoot, 'assets', 'generated', 'sample-photo.jpg'));
if (!existsSync(path.join(projectRoot, 'dist', 'src', 'cli', 'main.js'))) {
  console.log('dist/ is not built: run npx tsc -p tsconfig.json first');
  process.exit(1);
}

/** The ref's tree, compiled, sharing this tree's dependencies and generated assets. */
function buildRef(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pa-cold-ref-'));
  execFileSync('sh', ['-c', `git archive ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`], { cwd: projectRoot });
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  symlinkSync(path.join(projectRoot, 'assets', 'generated'), path.join(dir, 'assets', 'generated'));
  execFileSync(process.execPath, [path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

interface ColdRun { wallMs: number; cpuMs: number; peakMiB: number; stages: Record<string, number>; plainWallMs: number; plainPeakMiB: number }

/** One `create` with --report (the stage times), then one without, as a user runs it. */
async function coldRun(root: string, scratch: string, index: number): Promise<ColdRun> {
  const out = path.join(scratch, `a${index}.glb`);
  const report = path.join(scratch, `r${index}.json`);
  const model = modelFile ? ['--model', path.resolve(modelFile)] : [];
  const create = async (extra: string[]) => {
    const run = await spawnCli(['create', photo, ...model, '-o', out, ...extra, '-q', '-f'], { entry: [path.join(root, 'bin', 'photo-avatar.js')], cwd: root });
    if (run.status !== 0) throw new Error(`${root}: exit ${run.status}: ${run.stderr}`);
    return run;
  };
  const reported = await create(['--report', report]);
  const stages = JSON.parse(readFileSync(report, 'utf8')).timings as Record<string, number>;
  const plain = await create([]);
  return {
    wallMs: reported.wallMs, cpuMs: reported.cpuMs, peakMiB: reported.peakRssBytes / 1024 ** 2, stages,
    plainWallMs: plain.wallMs, plainPeakMiB: plain.peakRssBytes / 1024 ** 2,
  };
}

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The warm child: an ES module written to the scratch folder (the ref has no copy of it) that
 * loads each given tree's compiled modules side by side and prints one JSON line: per tree, per
 * stage, the milliseconds of every warm avatar; `decode` is the photo's decode, `glb` the compact GLB.
 */
const WARM_CHILD = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [photo, count, model, ...roots] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(photo));
const trees = [];
for (const root of roots) {
  const load = (file) => import(pathToFileURL(root + '/dist/src/' + file).href);
  await load('node/asset-files.js');
  const [{ decodeImage }, { createAvatarData }, { writeCompactGlb }, { readPack }, { hairMeshFor }] = await Promise.all(
    ['image/decode.js', 'pipeline.js', 'export/compact-glb.js', 'modelpack/format.js', 'hair/index.js'].map(load));
  const options = model !== '-' ? { model: readPack(new Uint8Array(readFileSync(model))) } : {};
  // The node entry's decodePhoto (mozjpeg) where the tree has it, as a Node program decodes; else decodeImage (jpeg-js).
  const decodePhoto = await load('node/decode-photo.js').then((m) => m.decodePhoto, () => undefined);
  const decode = decodePhoto ?? ((photoBytes) => decodeImage(photoBytes));
  trees.push({ decode, createAvatarData, writeCompactGlb, hairMeshFor, options, samples: {} });
}
async function avatar(tree, keep) {
  const cpu = process.cpuUsage();
  let start = performance.now();
  const { image } = await tree.decode(bytes);
  const decode = performance.now() - start;
  const data = await tree.createAvatarData(image, tree.options);
  start = performance.now();
  await tree.writeCompactGlb(data);
  const glb = performance.now() - start;
  // What avatar.setHair runs on the same fitted head: its own style again.
  start = performance.now();
  if (data.hair?.style) await tree.hairMeshFor(data.hair.style, data.model, data.neutralVertices, data.hair);
  const setHair = data.hair?.style ? performance.now() - start : undefined;
  // The process's CPU time over the whole avatar, setHair included (ort's worker threads too).
  const { user, system } = process.cpuUsage(cpu);
  if (!keep) return;
  for (const [name, ms] of Object.entries({ ...data.timings, decode, glb, warmTotal: decode + data.timings.total + glb, ...(setHair !== undefined ? { setHair } : {}), cpuWithSetHair: (user + system) / 1000 })) (tree.samples[name] ??= []).push(ms);
}
for (const tree of trees) await avatar(tree, false);
for (let i = 0; i < Number(count); i++) {
  const order = i % 2 === 0 ? trees : trees.slice().reverse();
  for (const tree of order) await avatar(tree, true);
}
console.log(JSON.stringify(trees.map((tree) => tree.samples)));
`;

/** One warm child process over both trees: per tree, per stage, the warm avatars' milliseconds. */
function warmRun(scratch: string): Record<string, number[]>[] {
  const child = path.join(scratch, 'warm-child.mjs');
  if (!existsSync(child)) writeFileSync(child, WARM_CHILD);
  const args = [child, photo, String(warmAvatars), modelFile ? path.resolve(modelFile) : '-', refRoot, projectRoot];
  const out = execFileSync(process.execPath, args, { cwd: projectRoot, maxBuffer: 1 << 24 }).toString();
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number[]>[];
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' ');
}

console.log(`building ${ref.slice(0, 12)} for comparison...`);
const refRoot = buildRef();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'pa-cold-'));
try {
  const loads: string[] = [loadAverage()];
  if (warmAvatars > 0) {
    const samples: [Record<string, number[]>, Record<string, number[]>] = [{}, {}];
    for (let i = 0; i < runs; i++) {
      warmRun(scratch).forEach((tree, t) => {
        for (const [name, values] of Object.entries(tree)) (samples[t][name] ??= []).push(...values);
      });
      loads.push(loadAverage());
    }
    const [before, after] = samples;
    const names = Object.keys(after).filter((name) => name in before);
    console.log(`\nwarm avatars of ${path.basename(photo)}${modelFile ? ` --model ${path.basename(modelFile)}` : ''}, ${os.cpus().length} cores: ${runs} processes, each making ${warmAvatars} avatars per tree after one discarded, alternating; medians of the ${runs * warmAvatars} avatars per tree (ms); load average ${loads.join(' | ')}:`);
    console.log(`${''.padEnd(18)}${`${ref.slice(0, 8)} (before)`.padStart(20)}${'this tree (after)'.padStart(20)}${'after/before'.padStart(14)}`);
    for (const name of names) {
      const b = median(before[name]), a = median(after[name]);
      console.log(`${name.padEnd(18)}${b.toFixed(1).padStart(20)}${a.toFixed(1).padStart(20)}${(b > 0 ? (a / b).toFixed(2) : '-').padStart(14)}`);
    }
  } else {
    const results: Record<'before' | 'after', ColdRun[]> = { before: [], after: [] };
    for (let i = 0; i < runs; i++) {
      results.before.push(await coldRun(refRoot, scratch, 2 * i));
      results.after.push(await coldRun(projectRoot, scratch, 2 * i + 1));
      loads.push(loadAverage());
    }
    const stageNames = ['load', 'detect', 'landmarks', 'fit', 'albedo', 'albedo.total', 'albedo.delight', 'albedo.coarse', 'albedo.complete', 'albedo.detail', 'export', 'total'];
    const rows: [string, (r: ColdRun) => number, string][] = [
      ['wall', (r) => r.wallMs / 1000, 's'],
      // The stage times come from --report, whose fit-quality metrics (0.4-0.5 s cold) a user's create does not compute.
      ['wall - metrics', (r) => (r.wallMs - (r.stages.metrics ?? 0)) / 1000, 's'],
      ['CPU', (r) => r.cpuMs / 1000, 's'],
      ['peak RSS', (r) => r.peakMiB, 'MiB'],
      // The same without --report: the metrics' own arrays raise the peak (by 16-20 MiB, stop 51).
      ['plain wall', (r) => r.plainWallMs / 1000, 's'],
      ['plain peak RSS', (r) => r.plainPeakMiB, 'MiB'],
      ...stageNames.map((s): [string, (r: ColdRun) => number, string] => [s, (r) => (r.stages[s] ?? 0) / 1000, 's']),
    ];
    console.log(`\ncold photo-avatar create ${path.basename(photo)}${modelFile ? ` --model ${path.basename(modelFile)}` : ''}, ${os.cpus().length} cores, median of ${runs} runs each; load average ${loads.join(' | ')}:`);
    console.log(`${''.padEnd(16)}${`${ref.slice(0, 8)} (before)`.padStart(20)}${'this tree (after)'.padStart(20)}${'after/before'.padStart(14)}`);
    for (const [name, value, unit] of rows) {
      const before = median(results.before.map(value));
      const after = median(results.after.map(value));
      console.log(`${name.padEnd(16)}${`${before.toFixed(2)} ${unit}`.padStart(20)}${`${after.toFixed(2)} ${unit}`.padStart(20)}${(before > 0 ? (after / before).toFixed(2) : '-').padStart(14)}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(refRoot, { recursive: true, force: true });
}
