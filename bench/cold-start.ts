/**
 * Cold start of `photo-avatar create` (a new process: module loading, WASM start-up, model pack
 * decode, onnxruntime sessions), this tree against a git ref (default the branch's merge base with
 * main), measured in one run with the two builds alternating: wall time, peak resident memory and
 * the report's per-stage times, medians of --runs runs each, and the ratios. The ref is
 * unpacked with `git archive` into a temporary folder beside this tree's node_modules and
 * assets/generated and compiled there; this tree's dist/ must be built (npx tsc -p tsconfig.json).
 * `--model FILE` passes a model pack to both (e.g. one imported with `photo-avatar import`).
 * `--warm N` measures the warm path instead: per run, a new Node process per tree decodes the photo,
 * makes one avatar (discarded: sessions and per-model caches are built) and then N more with the
 * compact GLB of each, as an application making several avatars does; medians of every stage.
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

interface ColdRun { wallMs: number; peakMiB: number; stages: Record<string, number> }

async function coldRun(root: string, scratch: string, index: number): Promise<ColdRun> {
  const out = path.join(scratch, `a${index}.glb`);
  const report = path.join(scratch, `r${index}.json`);
  const model = modelFile ? ['--model', path.resolve(modelFile)] : [];
  const run = await spawnCli(['create', photo, ...model, '-o', out, '--report', report, '-q', '-f'], { entry: [path.join(root, 'bin', 'photo-avatar.js')], cwd: root });
  if (run.status !== 0) throw new Error(`${root}: exit ${run.status}: ${run.stderr}`);
  const stages = JSON.parse(readFileSync(report, 'utf8')).timings as Record<string, number>;
  return { wallMs: run.wallMs, peakMiB: run.peakRssBytes / 1024 ** 2, stages };
}

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The warm child: an ES module written to the scratch folder that loads a tree's compiled modules
 * (the ref has no copy of it) and prints one JSON line of per-stage milliseconds, medians over the
 * warm avatars; `decode` is the photo's decode (JPEG/PNG), `glb` the compact GLB.
 */
const WARM_CHILD = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [root, photo, count, model] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(root + '/dist/src/' + file).href);
await load('node/asset-files.js');
const { decodeImage } = await load('image/decode.js');
const { createAvatarData } = await load('pipeline.js');
const { writeCompactGlb } = await load('export/compact-glb.js');
const { readPack } = await load('modelpack/format.js');
const bytes = new Uint8Array(readFileSync(photo));
const options = model ? { model: readPack(new Uint8Array(readFileSync(model))) } : {};
const samples = {};
for (let i = 0; i <= Number(count); i++) {
  let start = performance.now();
  const { image } = decodeImage(bytes);
  const decode = performance.now() - start;
  const data = await createAvatarData(image, options);
  start = performance.now();
  await writeCompactGlb(data);
  const glb = performance.now() - start;
  if (i === 0) continue;
  for (const [name, ms] of Object.entries({ ...data.timings, decode, glb, warmTotal: decode + data.timings.total + glb })) (samples[name] ??= []).push(ms);
}
const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(JSON.stringify(Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))));
`;

async function warmRun(root: string, scratch: string): Promise<Record<string, number>> {
  const child = path.join(scratch, 'warm-child.mjs');
  if (!existsSync(child)) writeFileSync(child, WARM_CHILD);
  const out = execFileSync(process.execPath, [child, root, photo, String(warmAvatars), ...(modelFile ? [path.resolve(modelFile)] : [])], { cwd: root, maxBuffer: 1 << 24 }).toString();
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
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
    const results: Record<'before' | 'after', Record<string, number>[]> = { before: [], after: [] };
    for (let i = 0; i < runs; i++) {
      results.before.push(await warmRun(refRoot, scratch));
      results.after.push(await warmRun(projectRoot, scratch));
      loads.push(loadAverage());
    }
    const names = Object.keys(results.after[0]).filter((name) => results.before.every((r) => name in r));
    console.log(`\nwarm avatars (${warmAvatars} per process after one discarded) of ${path.basename(photo)}${modelFile ? ` --model ${path.basename(modelFile)}` : ''}, ${os.cpus().length} cores, median of ${runs} processes each (ms); load average ${loads.join(' | ')}:`);
    console.log(`${''.padEnd(18)}${`${ref.slice(0, 8)} (before)`.padStart(20)}${'this tree (after)'.padStart(20)}${'after/before'.padStart(14)}`);
    for (const name of names) {
      const before = median(results.before.map((r) => r[name]));
      const after = median(results.after.map((r) => r[name]));
      console.log(`${name.padEnd(18)}${before.toFixed(1).padStart(20)}${after.toFixed(1).padStart(20)}${(before > 0 ? (after / before).toFixed(2) : '-').padStart(14)}`);
    }
  } else {
    const results: Record<'before' | 'after', ColdRun[]> = { before: [], after: [] };
    for (let i = 0; i < runs; i++) {
      results.before.push(await coldRun(refRoot, scratch, 2 * i));
      results.after.push(await coldRun(projectRoot, scratch, 2 * i + 1));
      loads.push(loadAverage());
    }
    const stageNames = ['load', 'detect', 'landmarks', 'fit', 'albedo', 'export', 'total'];
    const rows: [string, (r: ColdRun) => number, string][] = [
      ['wall', (r) => r.wallMs / 1000, 's'],
      ['peak RSS', (r) => r.peakMiB, 'MiB'],
      ...stageNames.map((s): [string, (r: ColdRun) => number, string] => [s, (r) => (r.stages[s] ?? 0) / 1000, 's']),
    ];
    console.log(`\ncold photo-avatar create ${path.basename(photo)}${modelFile ? ` --model ${path.basename(modelFile)}` : ''}, ${os.cpus().length} cores, median of ${runs} runs each; load average ${loads.join(' | ')}:`);
    console.log(`${''.padEnd(10)}${`${ref.slice(0, 8)} (before)`.padStart(20)}${'this tree (after)'.padStart(20)}${'after/before'.padStart(14)}`);
    for (const [name, value, unit] of rows) {
      const before = median(results.before.map(value));
      const after = median(results.after.map(value));
      console.log(`${name.padEnd(10)}${`${before.toFixed(2)} ${unit}`.padStart(20)}${`${after.toFixed(2)} ${unit}`.padStart(20)}${(before > 0 ? (after / before).toFixed(2) : '-').padStart(14)}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(refRoot, { recursive: true, force: true });
}
