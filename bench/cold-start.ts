/**
 * Cold start of `photo-avatar create` (a new process: module loading, WASM start-up, model pack
 * decode, onnxruntime sessions), this tree against a git ref (default the branch's merge base with
 * main), measured in one run with the two builds alternating: wall time, peak resident memory and
 * the report's per-stage times, medians of --runs runs each, and the ratios. The ref is
 * unpacked with `git archive` into a temporary folder beside this tree's node_modules and
 * assets/generated and compiled there; this tree's dist/ must be built (npx tsc -p tsconfig.json).
 * `--model FILE` passes a model pack to both (e.g. one imported with `photo-avatar import`).
 *   npx tsx bench/cold-start.ts [--ref REF] [--runs N] [--model FILE] [photo]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
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
const ref = option('--ref') ?? execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: projectRoot }).toString().trim();
const photo = args[0] ?? path.join(projectRoot, 'assets', 'generated', 'sample-photo.jpg');
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

console.log(`building ${ref.slice(0, 12)} for comparison...`);
const refRoot = buildRef();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'pa-cold-'));
try {
  const results: Record<'before' | 'after', ColdRun[]> = { before: [], after: [] };
  for (let i = 0; i < runs; i++) {
    results.before.push(await coldRun(refRoot, scratch, 2 * i));
    results.after.push(await coldRun(projectRoot, scratch, 2 * i + 1));
  }
  const stageNames = ['load', 'detect', 'landmarks', 'fit', 'albedo', 'export', 'total'];
  const rows: [string, (r: ColdRun) => number, string][] = [
    ['wall', (r) => r.wallMs / 1000, 's'],
    ['peak RSS', (r) => r.peakMiB, 'MiB'],
    ...stageNames.map((s): [string, (r: ColdRun) => number, string] => [s, (r) => (r.stages[s] ?? 0) / 1000, 's']),
  ];
  console.log(`\ncold photo-avatar create ${path.basename(photo)}${modelFile ? ` --model ${path.basename(modelFile)}` : ''}, ${os.cpus().length} cores, median of ${runs} runs each:`);
  console.log(`${''.padEnd(10)}${`${ref.slice(0, 8)} (before)`.padStart(20)}${'this tree (after)'.padStart(20)}${'after/before'.padStart(14)}`);
  for (const [name, value, unit] of rows) {
    const before = median(results.before.map(value));
    const after = median(results.after.map(value));
    console.log(`${name.padEnd(10)}${`${before.toFixed(2)} ${unit}`.padStart(20)}${`${after.toFixed(2)} ${unit}`.padStart(20)}${(before > 0 ? (after / before).toFixed(2) : '-').padStart(14)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(refRoot, { recursive: true, force: true });
}
