/**
 * The deformable head surface: MediaPipe canonical face (metres, eyes opened, mouth opened into a
 * closed mouth pocket), Loop-subdivided with the 468 canonical vertices kept first and exact, then
 * closed by the procedural cranium and neck.
 */
import { loadCanonicalFaceMesh } from './canonical-mesh.js';
import { buildCranium, type CraniumResult } from './cranium.js';
import { boundaryLoops, centroid, MeshBuilder, stitchLoops } from '../mesh-utils.js';
import { INNER_LIP_LOOP, LEFT_EYE_LOOP, RIGHT_EYE_LOOP } from '../../inference/face/mediapipe-regions.js';
import { subdivideAttribute, subdivideInterpolating } from './subdivide.js';
import { faceUv } from './uv-layout.js';

export interface HeadSurface {
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  /** Vertices [0, faceVertexCount) come from the subdivided face (including the mouth pocket). */
  faceVertexCount: number;
  /** 1 on vertices inside the mouth pocket (behind the lip line). */
  mouthPocket: Uint8Array;
  /** 1 on vertices of the eye sockets (behind the lid edge). */
  eyeSocket: Uint8Array;
  /** Outer face loop (subdivided), boundary direction. */
  faceLoop: number[];
  /** Open ends of the eye sockets, subject's right (-X) then left. */
  eyeLoops: [number[], number[]];
  cranium: CraniumResult;
}

const SUBDIVISION_LEVELS = 2;
const CM = 0.01;

function removeTrianglesInside(indices: Uint32Array, loops: number[][]): Uint32Array {
  const sets = loops.map((l) => new Set(l));
  const kept: number[] = [];
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    if (sets.some((s) => s.has(a) && s.has(b) && s.has(c))) continue;
    kept.push(a, b, c);
  }
  return Uint32Array.from(kept);
}

/**
 * A pocket behind the mouth line so the surface stays closed and jawOpen shows a dark interior
 * instead of a hole: two shrinking rings pushed back into the head and a cap.
 */
function addMouthPocket(builder: MeshBuilder, mouthLoop: number[]): void {
  const P = Float32Array.from(builder.positions);
  const [cx, cy, cz] = centroid(P, mouthLoop);
  let cu = 0, cv = 0;
  for (const v of mouthLoop) { cu += builder.uvs[2 * v]; cv += builder.uvs[2 * v + 1]; }
  cu /= mouthLoop.length; cv /= mouthLoop.length;
  const ringSpecs = [
    { depth: 0.6 * CM, scaleX: 0.9, scaleY: 1.6 },
    { depth: 1.6 * CM, scaleX: 0.65, scaleY: 2.2 },
  ];
  let previous = mouthLoop;
  for (const spec of ringSpecs) {
    const ring = mouthLoop.map((v) => builder.addVertex(
      cx + (P[3 * v] - cx) * spec.scaleX,
      cy + (P[3 * v + 1] - cy) * spec.scaleY,
      P[3 * v + 2] - spec.depth,
      cu + (builder.uvs[2 * v] - cu) * spec.scaleX * 0.8,
      cv + (builder.uvs[2 * v + 1] - cv) * 0.5,
    ));
    stitchLoops(builder, previous, ring);
    previous = ring;
  }
  const cap = builder.addVertex(cx, cy, cz - 2.2 * CM, cu, cv);
  for (let i = 0; i < previous.length; i++) {
    builder.addTriangle(previous[(i + 1) % previous.length], previous[i], cap);
  }
}

/**
 * A short open tube from the eyelid edge back into the head, so the lid has thickness and no gap
 * shows between lid and eyeball; its far end stays open (hidden behind the eyeball).
 */
function addEyeSocket(builder: MeshBuilder, eyeLoop: number[]): void {
  const P = Float32Array.from(builder.positions);
  const [cx, cy] = centroid(P, eyeLoop);
  let cu = 0, cv = 0;
  for (const v of eyeLoop) { cu += builder.uvs[2 * v]; cv += builder.uvs[2 * v + 1]; }
  cu /= eyeLoop.length; cv /= eyeLoop.length;
  let previous = eyeLoop;
  for (const spec of [{ depth: 0.25 * CM, scale: 0.9 }, { depth: 0.9 * CM, scale: 0.7 }]) {
    const ring = eyeLoop.map((v) => builder.addVertex(
      cx + (P[3 * v] - cx) * spec.scale,
      cy + (P[3 * v + 1] - cy) * spec.scale,
      P[3 * v + 2] - spec.depth,
      cu + (builder.uvs[2 * v] - cu) * spec.scale * 0.8,
      cv + (builder.uvs[2 * v + 1] - cv) * spec.scale * 0.8,
    ));
    stitchLoops(builder, previous, ring);
    previous = ring;
  }
}

function orientedLoop(loops: number[][], member: number): number[] {
  const loop = loops.find((l) => l.includes(member));
  if (!loop) throw new Error(`default head: no boundary loop through vertex ${member}`);
  return loop;
}

export function buildHeadSurface(): HeadSurface {
  const canonical = loadCanonicalFaceMesh();
  const coarse = new MeshBuilder();
  const count = canonical.positions.length / 3;
  for (let v = 0; v < count; v++) {
    const [u, w] = faceUv(canonical.uvs[2 * v], canonical.uvs[2 * v + 1]);
    coarse.addVertex(canonical.positions[3 * v] * CM, canonical.positions[3 * v + 1] * CM, canonical.positions[3 * v + 2] * CM, u, w);
  }
  const opened = removeTrianglesInside(canonical.indices, [RIGHT_EYE_LOOP, LEFT_EYE_LOOP, INNER_LIP_LOOP]);
  coarse.indices.push(...opened);
  const mouthLoop = orientedLoop(boundaryLoops(opened), INNER_LIP_LOOP[0]);
  addMouthPocket(coarse, mouthLoop);
  const pocketEnd = coarse.vertexCount;
  const coarseLoops = boundaryLoops(opened);
  for (const member of [RIGHT_EYE_LOOP[0], LEFT_EYE_LOOP[0]]) addEyeSocket(coarse, orientedLoop(coarseLoops, member));

  const coarseCount = coarse.vertexCount;
  const coarsePositions = Float32Array.from(coarse.positions);
  const fine = subdivideInterpolating(coarsePositions, Uint32Array.from(coarse.indices), SUBDIVISION_LEVELS);
  const fineUvs = subdivideAttribute(fine.steps, Float32Array.from(coarse.uvs), 2);
  const pocketFlag = new Float32Array(coarseCount);
  const socketFlag = new Float32Array(coarseCount);
  for (let v = count; v < coarseCount; v++) (v < pocketEnd ? pocketFlag : socketFlag)[v] = 1;
  const finePocket = subdivideAttribute(fine.steps, pocketFlag, 1);
  const fineSocket = subdivideAttribute(fine.steps, socketFlag, 1);

  const builder = new MeshBuilder();
  builder.positions = Array.from(fine.positions);
  builder.uvs = Array.from(fineUvs);
  builder.indices = Array.from(fine.indices);
  const faceVertexCount = builder.vertexCount;
  const loops = boundaryLoops(fine.indices);
  const faceLoop = orientedLoop(loops, 10);
  const eyeLoops = loops.filter((l) => l !== faceLoop).sort((a, b) => fine.positions[3 * a[0]] - fine.positions[3 * b[0]]) as [number[], number[]];
  const cranium = buildCranium(builder, faceLoop);
  const mouthPocket = new Uint8Array(builder.vertexCount);
  // A fine vertex belongs to the pocket when it lies strictly inside it (not on the lip line).
  const eyeSocket = new Uint8Array(builder.vertexCount);
  for (let v = 0; v < faceVertexCount; v++) {
    mouthPocket[v] = finePocket[v] > 0.99 ? 1 : 0;
    eyeSocket[v] = fineSocket[v] > 0.99 ? 1 : 0;
  }
  return {
    positions: Float32Array.from(builder.positions),
    uvs: Float32Array.from(builder.uvs),
    indices: Uint32Array.from(builder.indices),
    faceVertexCount,
    mouthPocket,
    eyeSocket,
    faceLoop,
    eyeLoops,
    cranium,
  };
}
