/**
 * Dev tool: renders the default head (Lambert-shaded, orthographic) from several directions into one
 * PNG so its shape can be checked by eye. Also writes an OBJ next to it.
 *   npx tsx scripts/render-head.ts [out.png] [--identity k=sigmas,...] [--expression name=weight,...]
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
// The Node asset loader (the embedded default head from assets/generated).
import '../src/node/asset-files.js';
import { writeObj } from '../src/modelpack/obj.js';
import { loadDefaultHead } from '../src/pipeline.js';
import { computeVertexNormals, decodeShape, type HeadModel } from '../src/modelpack/head-model.js';
import { createRasterTarget, rasterizeTriangles } from '../src/render/rasterize.js';

interface Mesh { positions: Float32Array; indices: Uint32Array; colour: [number, number, number] }

function renderView(meshes: Mesh[], yawDeg: number, pitchDeg: number, size: number, out: PNG, offsetX: number): void {
  const yaw = (yawDeg * Math.PI) / 180, pitch = (pitchDeg * Math.PI) / 180;
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  const scale = size / 0.34;
  const target = createRasterTarget(size, size);
  const shaded: { mesh: Mesh; normals: Float32Array; screen: Float32Array }[] = [];
  for (const mesh of meshes) {
    const n = mesh.positions.length / 3;
    const screen = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) {
      const x = mesh.positions[3 * v], y = mesh.positions[3 * v + 1] + 0.02, z = mesh.positions[3 * v + 2] + 0.03;
      // Yaw about Y, then pitch about X; camera looks down -Z.
      const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
      const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;
      screen[3 * v] = size / 2 + x1 * scale;
      screen[3 * v + 1] = size / 2 - y2 * scale;
      screen[3 * v + 2] = -z2;
    }
    shaded.push({ mesh, normals: computeVertexNormals(mesh.positions, mesh.indices), screen });
  }
  // One shared depth buffer: rasterize meshes one after another into the same target, remembering which.
  const owner = new Int8Array(size * size).fill(-1);
  shaded.forEach((s, m) => {
    const before = Int32Array.from(target.triangle);
    const beforeDepth = Float32Array.from(target.depth);
    rasterizeTriangles(target, s.screen, s.mesh.indices, { cull: 'back' });
    for (let p = 0; p < size * size; p++) if (target.depth[p] !== beforeDepth[p] || target.triangle[p] !== before[p]) owner[p] = m;
  });
  const light = [0.35, 0.45, 0.82];
  for (let p = 0; p < size * size; p++) {
    const o = (Math.floor(p / size) * out.width + offsetX + (p % size)) * 4;
    if (owner[p] < 0) { out.data[o] = 40; out.data[o + 1] = 44; out.data[o + 2] = 52; out.data[o + 3] = 255; continue; }
    const { mesh, normals } = shaded[owner[p]];
    const t = target.triangle[p];
    const b1 = target.bary[2 * p], b2 = target.bary[2 * p + 1], b0 = 1 - b1 - b2;
    const a = mesh.indices[3 * t] * 3, b = mesh.indices[3 * t + 1] * 3, c = mesh.indices[3 * t + 2] * 3;
    let nx = b0 * normals[a] + b1 * normals[b] + b2 * normals[c];
    let ny = b0 * normals[a + 1] + b1 * normals[b + 1] + b2 * normals[c + 1];
    let nz = b0 * normals[a + 2] + b1 * normals[b + 2] + b2 * normals[c + 2];
    const x1 = cy * nx + sy * nz, z1 = -sy * nx + cy * nz;
    const y2 = cp * ny - sp * z1, z2 = sp * ny + cp * z1;
    const len = Math.hypot(x1, y2, z2) || 1;
    nx = x1 / len; ny = y2 / len; nz = z2 / len;
    const lambert = Math.max(0, nx * light[0] + ny * light[1] + nz * light[2]);
    const shade = 0.18 + 0.82 * lambert;
    for (let k = 0; k < 3; k++) out.data[o + k] = Math.min(255, mesh.colour[k] * shade);
    out.data[o + 3] = 255;
  }
}

function parseCoefficients(arg: string | undefined, names: (k: string) => number, length: number, scale: (k: number) => number): Float32Array | null {
  if (!arg) return null;
  const c = new Float32Array(length);
  for (const part of arg.split(',')) {
    const [k, v] = part.split('=');
    const index = names(k);
    c[index] = Number(v) * scale(index);
  }
  return c;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outFile = args.find((a) => a.endsWith('.png')) ?? 'head.png';
  const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const started = performance.now();
  const model: HeadModel = await loadDefaultHead();
  console.log(`loaded in ${(performance.now() - started).toFixed(0)} ms: ${model.vertexCount} vertices, ${model.indices.length / 3} triangles`);
  const randomSigma = flag('--random');
  // Deterministic normal samples (xorshift + Box-Muller) for a "random person" at the given sigma scale.
  let seed = 12345;
  const uniform = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return ((seed >>> 0) + 0.5) / 4294967296; };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const identity = randomSigma ? Float32Array.from(model.identityStd, (s) => s * Number(randomSigma) * normal()) : parseCoefficients(flag('--identity'), Number, model.identityCount, (k) => model.identityStd[k]);
  const expression = parseCoefficients(flag('--expression'), (k) => model.expressionNames.indexOf(k), model.expressionNames.length, () => 1);
  const positions = decodeShape(model, identity, expression);
  const meshes: Mesh[] = [{ positions, indices: model.indices, colour: [225, 185, 160] }];
  for (const part of model.parts) meshes.push({ positions: part.positions, indices: part.indices, colour: [235, 235, 240] });
  const size = Number(flag('--size') ?? 400);
  const views: [number, number][] = [[0, 0], [35, 0], [90, 0], [180, 0], [-60, 25], [0, -50]];
  const png = new PNG({ width: size * views.length, height: size });
  views.forEach(([yaw, pitch], i) => renderView(meshes, yaw, pitch, size, png, i * size));
  writeFileSync(outFile, PNG.sync.write(png));
  writeFileSync(outFile.replace(/\.png$/, '.obj'), writeObj(model));
  console.log(`wrote ${outFile}`);
}

await main();
