/**
 * GLB sizes for games: one avatar from a real photo (the CLI's sample photo unless one is given)
 * written as the plain GLB (`--compress none`), the compact GLB (meshopt + quantization + WebP +
 * MSFT_lod, the default) and the .avatar file; triangles per level of detail; the compact GLB
 * re-imported with @babylonjs/loaders (bundled meshopt decoder) and its errors against the data.
 * With --render FILE.png it also renders the re-imported levels (full, 50 %, 25 %; rows, each a
 * front and a three-quarter view, mouth smiling and jaw a little open through the re-imported morph
 * targets) with the project's software renderer. Prints figures; asserts nothing.
 *   npx tsx bench/glb.ts [photo] [--render out.png]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { ImportMeshAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import '@babylonjs/loaders/glTF/2.0/Extensions/index.js';
import decodeWebp, { init as initWebpDecoder } from '@jsquash/webp/decode.js';
import '../src/node/asset-files.js';
import { defaultSamplePhoto } from '../src/cli/files.js';
import { writeAvatarFile } from '../src/avatar-file/format.js';
import { writeCompactGlb } from '../src/export/compact-glb.js';
import { writeGlb } from '../src/export/glb.js';
import { decodeImage } from '../src/image/decode.js';
import { encodePng } from '../src/image/encode.js';
import { createAvatarData } from '../src/pipeline.js';
import { useBundledMeshoptDecoder } from '../src/plugin/meshopt-decoder.js';
import { renderPreview } from '../src/render/preview.js';
import type { AvatarData, RgbaImage } from '../src/types.js';

const args = process.argv.slice(2);
const renderIndex = args.indexOf('--render');
const renderFile = renderIndex >= 0 ? args[renderIndex + 1] : undefined;
// Any argument but a flag and --render's file (with no --render, renderIndex + 1 is 0: the first argument).
const photo = args.find((arg, i) => !arg.startsWith('--') && (renderIndex < 0 || i !== renderIndex + 1)) ?? defaultSamplePhoto();

const { image } = decodeImage(new Uint8Array(readFileSync(photo)));
const data = await createAvatarData(image);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

let start = performance.now();
const plain = writeGlb(data);
const plainMs = performance.now() - start;
start = performance.now();
const compact = await writeCompactGlb(data);
const compactMs = performance.now() - start;
const avatarFile = writeAvatarFile(data);
console.log(`photo ${photo}: ${data.model.vertexCount} head vertices, ${data.model.expressionNames.length} morph targets, ${data.albedo.width}² albedo`);
console.log(`GLB --compress none: ${kib(plain.byteLength)} (${plainMs.toFixed(0)} ms)`);
console.log(`GLB compact (default): ${kib(compact.byteLength)} (${compactMs.toFixed(0)} ms), ${(plain.byteLength / compact.byteLength).toFixed(1)}x smaller`);
console.log(`.avatar: ${kib(avatarFile.byteLength)}`);

// Where the compact bytes go.
const json = JSON.parse(new TextDecoder().decode(compact.subarray(20, 20 + new DataView(compact.buffer, compact.byteOffset).getUint32(12, true))));
const viewBytes = (accessor: number): number => {
  const view = json.bufferViews[json.accessors[accessor].bufferView];
  return view?.extensions?.EXT_meshopt_compression?.byteLength ?? view?.byteLength ?? 0;
};
const counted = new Set<number>();
const share: Record<string, number> = {};
const add = (kind: string, accessor: number) => {
  const view = json.accessors[accessor].bufferView;
  if (counted.has(view)) return; // levels of detail share their vertex data
  counted.add(view);
  share[kind] = (share[kind] ?? 0) + viewBytes(accessor);
};
for (const mesh of json.meshes) {
  for (const primitive of mesh.primitives) {
    for (const [name, accessor] of Object.entries(primitive.attributes)) add(name, accessor as number);
    add('indices (all levels)', primitive.indices);
    for (const target of primitive.targets ?? []) for (const [name, accessor] of Object.entries(target)) add(`morph ${name}`, accessor as number);
  }
}
for (const image of json.images) share[`image ${image.name}`] = json.bufferViews[image.bufferView].byteLength;
console.log(`compact GLB contents: ${Object.entries(share).map(([k, v]) => `${k} ${kib(v)}`).join(', ')}`);

// Triangles per level of detail, per mesh.
for (const node of json.nodes.filter((n: { extensions?: { MSFT_lod?: unknown } }) => n.extensions?.MSFT_lod)) {
  const levels = [node, ...node.extensions.MSFT_lod.ids.map((id: number) => json.nodes[id])];
  const triangles = levels.map((level: { mesh: number }) => json.accessors[json.meshes[level.mesh].primitives[0].indices].count / 3);
  // A lower level adds only its indices: vertices, skin and morph targets are the full level's.
  const indexBytes = levels.map((level: { mesh: number }) => viewBytes(json.meshes[level.mesh].primitives[0].indices));
  console.log(`LOD ${node.name}: ${triangles.join(' / ')} triangles (${triangles.map((t: number) => `${Math.round((100 * t) / triangles[0])} %`).join(' / ')}), `
    + `index bytes ${indexBytes.map(kib).join(' / ')}, screen coverage ${node.extras.MSFT_screencoverage.join(' / ')}`);
}

/** The head mesh of one level, re-imported: `maxLODsToLoad` levels are loaded coarse to fine, so 1 ends at the coarsest. */
async function reimportHead(levelsToLoad: number): Promise<{ positions: Float32Array; indices: Uint32Array; targets: Float32Array[] }> {
  const engine = new NullEngine();
  const scene = new Scene(engine);
  try {
    const result = await ImportMeshAsync(compact, scene, { pluginExtension: '.glb', pluginOptions: { gltf: { extensionOptions: { MSFT_lod: { maxLODsToLoad: levelsToLoad } } } } });
    const head = result.meshes.find((m) => /^headMesh(_lod\d)?$/.test(m.name) && !m.isDisposed()) as Mesh;
    const manager = head.morphTargetManager!;
    return {
      positions: Float32Array.from(head.getVerticesData(VertexBuffer.PositionKind)!),
      indices: Uint32Array.from(head.getIndices()!),
      targets: Array.from({ length: manager.numTargets }, (_, k) => Float32Array.from(manager.getTarget(k).getPositions()!)),
    };
  } finally {
    scene.dispose();
    engine.dispose();
  }
}

useBundledMeshoptDecoder();
const levelCount = 1 + (json.nodes.find((n: { name: string }) => n.name === 'headMesh').extensions?.MSFT_lod?.ids.length ?? 0);
const levels = [];
for (let level = 0; level < levelCount; level++) levels.push(await reimportHead(levelCount - level));
const full = levels[0];
const n3 = data.neutralVertices.length;
let positionError = 0;
let targetError = 0;
for (let i = 0; i < n3; i++) positionError = Math.max(positionError, Math.abs(full.positions[i] - data.neutralVertices[i]));
full.targets.forEach((target, k) => {
  for (let i = 0; i < n3; i++) targetError = Math.max(targetError, Math.abs(target[i] - data.neutralVertices[i] - data.model.expressionBasis[k * n3 + i]));
});
console.log(`re-import (Babylon ${levels.map((l) => l.indices.length / 3).join(' / ')} head triangles): max position error ${(positionError * 1e6).toFixed(1)} µm, max morph target error ${(targetError * 1e6).toFixed(1)} µm`);

if (renderFile) {
  // The albedo comes out of the GLB too: decode its WebP.
  const wasm = readFileSync(createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
  await initWebpDecoder({ wasmBinary: wasm } as never);
  const albedoView = json.bufferViews[json.images[0].bufferView];
  const binStart = 20 + new DataView(compact.buffer, compact.byteOffset).getUint32(12, true) + 8;
  const decoded = await decodeWebp(compact.slice(binStart + albedoView.byteOffset, binStart + albedoView.byteOffset + albedoView.byteLength).buffer);
  const albedo: RgbaImage = { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data.buffer) };
  const expression = new Float32Array(data.model.expressionNames.length);
  data.model.expressionNames.forEach((name, k) => { if (/^mouthSmile/.test(name)) expression[k] = 0.8; if (name === 'jawOpen') expression[k] = 0.25; });
  const rows = levels.map((level) => {
    const basis = new Float32Array(level.targets.length * n3);
    level.targets.forEach((target, k) => { for (let i = 0; i < n3; i++) basis[k * n3 + i] = target[i] - level.positions[i]; });
    const reimported: AvatarData = {
      ...data,
      albedo,
      neutralVertices: level.positions,
      model: { ...data.model, indices: level.indices, expressionBasis: basis },
    };
    return renderPreview(reimported, { width: 768, height: 384, expression });
  });
  const sheet: RgbaImage = { width: 768, height: 384 * rows.length, data: new Uint8Array(768 * 384 * rows.length * 4) };
  rows.forEach((row, r) => sheet.data.set(row.data, r * row.data.length));
  writeFileSync(renderFile, encodePng(sheet));
  console.log(`wrote ${renderFile}: re-imported levels top to bottom (${levels.map((l) => l.indices.length / 3).join(' / ')} head triangles)`);
}
