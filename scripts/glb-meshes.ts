/**
 * Prints a GLB's mesh table: each mesh (levels of detail left out) with its vertex and triangle
 * counts, material and morph targets, then the head's target names and the skin's bones. Reads
 * the file's own glTF JSON, so it shows what any glTF loader gets.
 *   npx tsx src/cli/main.ts create -o /tmp/bob.glb && npx tsx scripts/glb-meshes.ts /tmp/bob.glb
 */
import { readFileSync } from 'node:fs';
import { parseGlbContainer } from '../src/modelpack/importers/glb.js';

interface GltfJson {
  meshes: { name: string; extras?: { targetNames?: string[] }; primitives: { attributes: Record<string, number>; indices: number; material?: number; targets?: unknown[] }[] }[];
  accessors: { count: number }[];
  materials: { name?: string; alphaMode?: string }[];
  nodes: { name?: string }[];
  skins?: { joints: number[] }[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx scripts/glb-meshes.ts <file.glb>');
  process.exit(1);
}
const gltf = parseGlbContainer(new Uint8Array(readFileSync(file)), file).gltf as unknown as GltfJson;
const rows = gltf.meshes.filter((mesh) => !/_lod\d+$/.test(mesh.name)).map((mesh) => {
  const primitive = mesh.primitives[0];
  const material = primitive.material === undefined ? undefined : gltf.materials[primitive.material];
  const targets = mesh.extras?.targetNames ?? [];
  return [
    mesh.name,
    gltf.accessors[primitive.attributes.POSITION].count.toLocaleString('en'),
    (gltf.accessors[primitive.indices].count / 3).toLocaleString('en'),
    `${material?.name ?? '-'}${material?.alphaMode ? ` (${material.alphaMode})` : ''}`,
    targets.length === 0 ? '-' : targets.length > 6 ? `${targets.length}` : targets.join(' '),
  ];
});
console.log('| mesh | vertices | triangles | material | morph targets |\n|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
const head = gltf.meshes.find((mesh) => mesh.name === 'head');
console.log(`\n${head?.extras?.targetNames?.length ?? 0} head targets: ${head?.extras?.targetNames?.join(' ') ?? '-'}`);
console.log(`bones: ${gltf.skins?.[0]?.joints.map((j) => gltf.nodes[j].name).join(', ') ?? '-'}`);
