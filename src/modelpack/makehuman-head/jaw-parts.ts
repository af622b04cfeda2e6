/**
 * jawOpen from MakeHuman's own jaw drop, the CC0 expression unit `mouth-open`, which opens the lips
 * and moves the mandible's skin, the mouth cavity's floor and the lower-teeth helper together; the
 * mandible's path is then made anatomical. Fitted as a rigid motion (fitSagittalMotion), the unit
 * turns the helper 24° while lifting hm08's jaw joint 3.4 mm into the skull, and the helper's incisal
 * point moves 27 mm down and 16 mm back, well behind the upper teeth. A real mandible turns about the condyle while the
 * condyle glides forward and down the articular eminence from the first millimetre of opening
 * (anatomicalMandibleMotion). The lower teeth and tongue follow that motion rigidly, with the
 * unit's incisal drop, and the skin that moves with the mandible (lower lip, chin, cavity floor)
 * takes the difference between the two paths in proportion to how far it follows the unit's
 * mandible (followJaw), keeping the unit's non-rigid lip opening. (Retargeted from the procedural
 * reference head, the cavity took its neighbours' lip motion and folded over the tongue.)
 */
import type { SubMesh } from '../head-model.js';
import type { HeadCut } from './head-cut.js';
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';
import { readTargets } from './targets.js';

const MOUTH_OPEN_TARGET = 'data/targets/expression/units/caucasian/mouth-open.target';
/** hm08's fitting helper that the Teeth_Base proxy's lower teeth follow. */
const LOWER_TEETH_HELPER = 'helper-lower-teeth';
/**
 * Condylar glide per unit of incisal travel: over a full opening the condyle travels 11.9 mm
 * (straight line) while the lower incisor point travels 46.6 mm (Travers, Buschang, Hayasaki and
 * Throckmorton, "Associations between incisor and mandibular condylar movements during maximum mouth
 * opening in humans", 27 adults, optoelectronic jaw tracking).
 */
const CONDYLAR_GLIDE_PER_INCISAL_TRAVEL = 11.9 / 46.6;
/** The articular eminence's slope below the horizontal, the direction of the condyle's glide (condylar guidance, about 30–35°). */
const EMINENCE_SLOPE = (33 * Math.PI) / 180;
/** hm08 units (2 mm): below this size the unit's rigid motion says nothing about how far a vertex follows the mandible. */
const FOLLOW_SOFTENING = 0.02;

/**
 * A rigid motion of the mandible in the sagittal plane: a turn by `angle` (radians, positive opens)
 * about the x axis through a pivot, then a shift (y, z) in the positions' units.
 */
export interface SagittalMotion {
  angle: number;
  shift: readonly [number, number];
}

/** Where `motion` about `pivot` (y, z) takes the point (y, z). */
export function moveSagittal(motion: SagittalMotion, pivot: ArrayLike<number>, y: number, z: number): [number, number] {
  const c = Math.cos(motion.angle), s = Math.sin(motion.angle);
  const ry = y - pivot[0], rz = z - pivot[1];
  // Opening turns a point below and in front of the hinge down and back: d/dθ (y, z) = (-rz, ry).
  return [pivot[0] + ry * c - rz * s + motion.shift[0], pivot[1] + ry * s + rz * c + motion.shift[1]];
}

/**
 * The rigid sagittal motion (turn about `pivot` plus shift) that best carries `vertices` of
 * `positions` (xyz) along `displacement`, by least squares (two-dimensional Procrustes on y, z).
 */
export function fitSagittalMotion(positions: Float32Array, displacement: Float32Array, vertices: ArrayLike<number>, pivot: ArrayLike<number>): SagittalMotion {
  const k = vertices.length;
  let fy = 0, fz = 0, ty = 0, tz = 0;
  for (let i = 0; i < k; i++) {
    const v = vertices[i];
    fy += positions[3 * v + 1] / k; fz += positions[3 * v + 2] / k;
    ty += (positions[3 * v + 1] + displacement[3 * v + 1]) / k; tz += (positions[3 * v + 2] + displacement[3 * v + 2]) / k;
  }
  let cross = 0, dot = 0;
  for (let i = 0; i < k; i++) {
    const v = vertices[i];
    const py = positions[3 * v + 1] - fy, pz = positions[3 * v + 2] - fz;
    const qy = positions[3 * v + 1] + displacement[3 * v + 1] - ty, qz = positions[3 * v + 2] + displacement[3 * v + 2] - tz;
    cross += py * qz - pz * qy; dot += py * qy + pz * qz;
  }
  const angle = Math.atan2(cross, dot);
  // The centroid must land on the target centroid.
  const [my, mz] = moveSagittal({ angle, shift: [0, 0] }, pivot, fy, fz);
  return { angle, shift: [ty - my, tz - mz] };
}

/**
 * The anatomical mandible motion with the same incisal drop as `reference`: a turn about the
 * condyle `pivot` (y, z) while the condyle glides down the eminence by
 * CONDYLAR_GLIDE_PER_INCISAL_TRAVEL of the incisal point's travel. The glide depends on the travel
 * and the travel on the glide, so the two are iterated (the glide ratio is far below 1: it converges).
 */
export function anatomicalMandibleMotion(reference: SagittalMotion, pivot: ArrayLike<number>, incisor: ArrayLike<number>): SagittalMotion {
  const [iy, iz] = [incisor[0], incisor[1]];
  const drop = moveSagittal(reference, pivot, iy, iz)[0] - iy;
  const direction = [-Math.sin(EMINENCE_SLOPE), Math.cos(EMINENCE_SLOPE)];
  let glide = 0, angle = 0;
  for (let round = 0; round < 40; round++) {
    const shift: [number, number] = [glide * direction[0], glide * direction[1]];
    // The incisal point's height falls monotonically with the angle over a quarter turn: bisect.
    let lo = 0, hi = Math.PI / 2;
    for (let step = 0; step < 60; step++) {
      angle = (lo + hi) / 2;
      if (moveSagittal({ angle, shift }, pivot, iy, iz)[0] - iy > drop) lo = angle; else hi = angle;
    }
    const [my, mz] = moveSagittal({ angle, shift }, pivot, iy, iz);
    glide = CONDYLAR_GLIDE_PER_INCISAL_TRAVEL * Math.hypot(my - iy, mz - iz);
  }
  return { angle, shift: [glide * direction[0], glide * direction[1]] };
}

/**
 * How far each vertex follows the mandible under the unit (0 ... 1): its displacement projected on
 * the fitted rigid motion's there, softened where that motion is too small to tell.
 */
function followJaw(positions: Float32Array, displacement: Float32Array, rigid: SagittalMotion, pivot: ArrayLike<number>): Float32Array {
  const n = positions.length / 3;
  const follow = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    const y = positions[3 * v + 1], z = positions[3 * v + 2];
    const [my, mz] = moveSagittal(rigid, pivot, y, z);
    const ry = my - y, rz = mz - z;
    const along = (displacement[3 * v + 1] * ry + displacement[3 * v + 2] * rz) / (ry * ry + rz * rz + FOLLOW_SOFTENING ** 2);
    follow[v] = Math.min(1, Math.max(0, along));
  }
  return follow;
}

/** A displacement of hm08's vertices (hm08 units) on the cut head, in metres: each cut vertex averages its sources. */
function cutDisplacement(cut: HeadCut, displacement: Float32Array): Float32Array {
  const n = cut.sourceOffsets.length - 1;
  const out = new Float32Array(3 * n);
  for (let v = 0; v < n; v++) {
    const from = cut.sourceOffsets[v], to = cut.sourceOffsets[v + 1];
    const scale = HM08_UNITS_TO_METRES / (to - from);
    for (let k = from; k < to; k++) {
      const s = cut.sourceVertices[k];
      for (let a = 0; a < 3; a++) out[3 * v + a] += displacement[3 * s + a] * scale;
    }
  }
  return out;
}

/**
 * The head's jawOpen displacement (metres, cut order) and the mandible's motion about the jaw joint
 * (shift in metres) under MakeHuman's mouth-open unit with the anatomical path; `unit` is the
 * mandible's rigid motion as the unit has it (for comparison).
 */
export function makehumanJawOpen(hm08: Hm08Mesh, cut: HeadCut): { head: Float32Array; mandible: SagittalMotion; unit: SagittalMotion } {
  const P = hm08.positions;
  const count = P.length / 3;
  const [unit] = readTargets([MOUTH_OPEN_TARGET], count);
  const helper = hm08.materialNames.indexOf(LOWER_TEETH_HELPER);
  const teeth = new Set<number>();
  for (const polygon of hm08.polygons) if (polygon.material === helper) for (const v of polygon.vertices) teeth.add(v);
  const joint = hm08.jointVertices['jaw____head'];
  const pivot = [1, 2].map((a) => joint.reduce((sum, v) => sum + P[3 * v + a], 0) / joint.length);
  const rigid = fitSagittalMotion(P, unit, [...teeth], pivot);
  // The incisal point: the helper's front-most vertex.
  let incisor = -1;
  for (const v of teeth) if (incisor < 0 || P[3 * v + 2] > P[3 * incisor + 2]) incisor = v;
  const mandible = anatomicalMandibleMotion(rigid, pivot, [P[3 * incisor + 1], P[3 * incisor + 2]]);
  const follow = followJaw(P, unit, rigid, pivot);
  const field = Float32Array.from(unit);
  for (let v = 0; v < count; v++) {
    if (follow[v] === 0) continue;
    const y = P[3 * v + 1], z = P[3 * v + 2];
    const [ay, az] = moveSagittal(mandible, pivot, y, z), [uy, uz] = moveSagittal(rigid, pivot, y, z);
    field[3 * v + 1] += follow[v] * (ay - uy);
    field[3 * v + 2] += follow[v] * (az - uz);
  }
  const toMetres = (m: SagittalMotion): SagittalMotion => ({ angle: m.angle, shift: [m.shift[0] * HM08_UNITS_TO_METRES, m.shift[1] * HM08_UNITS_TO_METRES] });
  return { head: cutDisplacement(cut, field), mandible: toMetres(mandible), unit: toMetres(rigid) };
}

/** The part with a 'jawOpen' morph: its vertices carried by `motion` about `pivot` (xyz; the turn is about the x axis). */
export function withJawOpenMorph(part: SubMesh, motion: SagittalMotion, pivot: ArrayLike<number>): SubMesh {
  const displacement = new Float32Array(part.positions.length);
  const yz = [pivot[1], pivot[2]];
  for (let i = 0; i < part.positions.length; i += 3) {
    const [y, z] = moveSagittal(motion, yz, part.positions[i + 1], part.positions[i + 2]);
    displacement[i + 1] = y - part.positions[i + 1];
    displacement[i + 2] = z - part.positions[i + 2];
  }
  return { ...part, morphs: { names: ['jawOpen'], displacements: displacement } };
}

/** Metres: the lower central incisors' columns either side of the midline, and the depth behind their front within which their edge is read. */
const INCISOR_HALF_WIDTH = 0.005;
const INCISOR_DEPTH = 0.004;

/** The lower incisors' edge height (y) on `positions` (xyz, +z forward): the highest point of the central columns' front. */
export function lowerIncisalEdge(positions: Float32Array): number {
  let front = -Infinity;
  for (let i = 0; i < positions.length; i += 3) if (Math.abs(positions[i]) < INCISOR_HALF_WIDTH) front = Math.max(front, positions[i + 2]);
  let edge = -Infinity;
  for (let i = 0; i < positions.length; i += 3) {
    if (Math.abs(positions[i]) < INCISOR_HALF_WIDTH && positions[i + 2] > front - INCISOR_DEPTH) edge = Math.max(edge, positions[i + 1]);
  }
  return edge;
}

/**
 * The tongue's jawOpen with the tongue lying low in the open mouth. Turned rigidly with the
 * mandible, the tongue keeps its rest pose against the palate: hm08's lower occlusal plane rises
 * about 20° towards the back, the turn tips it a further 24° towards the viewer, and the tongue's
 * back stood 20 mm above the lower incisors' edge, filling the opening up to 4 mm under the upper
 * incisors. A relaxed tongue drops with the mouth floor as the jaw opens and lies in the lower
 * arch, its tip behind the lower incisors: here every point above the lower incisors' edge (at
 * full jawOpen) keeps only `keep` of its height over it. The squash is vertical and in the open
 * pose, so at partial weights the morph interpolates it with the turn.
 */
export function withTongueLyingLow(tongue: SubMesh, lowerTeeth: SubMesh, keep: number): SubMesh {
  const lower = lowerTeeth.positions.map((x, i) => x + lowerTeeth.morphs!.displacements[i]);
  const edge = lowerIncisalEdge(lower);
  const displacement = Float32Array.from(tongue.morphs!.displacements);
  for (let i = 1; i < displacement.length; i += 3) {
    const y = tongue.positions[i] + displacement[i];
    if (y > edge) displacement[i] += (keep - 1) * (y - edge);
  }
  return { ...tongue, morphs: { names: tongue.morphs!.names, displacements: displacement } };
}
