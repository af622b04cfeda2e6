/**
 * ARKit's 52 expression blendshapes (ARFaceAnchor raw names; _L = subject's left = +X), generated
 * procedurally from mesh regions: the jaw rotates about a pivot in front of the ears with a weight
 * that splits at the mouth line; eyelids slide to target lines interpolated from the lid landmarks
 * and stay outside the eyeball; mouth, cheeks, brows and nose move with Gaussian falloff around
 * their landmarks. tongueOut has no tongue geometry to move, so it only parts the lips as a tongue
 * would. Eyeball rotation (eyeLook*) belongs to the eye parts; here those shapes only move the lids.
 */
import { EYE_RADIUS } from './eyes.js';
import { eyeCentre } from './eye-placement.js';
import { addWeighted, gaussianWeights, landmarkCentre, type Vec3 } from './fields.js';
import type { HeadSurface } from './head-surface.js';
import { ARKIT_BLENDSHAPES } from '../arkit-blendshapes.js';
import { smoothstep } from '../mesh-utils.js';
import {
  LEFT_BROW, LEFT_EYE_LOOP, LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_BROW, RIGHT_EYE_LOOP, RIGHT_LOWER_LID, RIGHT_UPPER_LID,
} from '../../inference/face/mediapipe-regions.js';


const MM = 0.001;
const JAW_OPEN_ANGLE = 0.24;

type Field = Float64Array;

class Context {
  readonly n: number;
  readonly jaw: Float64Array;
  readonly pivot: Vec3;
  constructor(readonly surface: HeadSurface) {
    this.n = surface.positions.length / 3;
    const P = surface.positions;
    const cornerR = landmarkCentre(P, 61), cornerL = landmarkCentre(P, 291);
    const mouthLineY = (P[3 * 13 + 1] + P[3 * 14 + 1]) / 2;
    const cornerX = (cornerL[0] - cornerR[0]) / 2, cornerY = (cornerL[1] + cornerR[1]) / 2;
    this.pivot = [0, cornerY + 0.045, -0.035];
    this.jaw = new Float64Array(this.n);
    for (let v = 0; v < this.n; v++) {
      const x = Math.abs(P[3 * v]), y = P[3 * v + 1], z = P[3 * v + 2];
      let w: number;
      if (surface.mouthPocket[v] || x <= cornerX) {
        w = smoothstep(mouthLineY + 0.0022, mouthLineY - 0.0022, y);
      } else {
        // Below the line from the mouth corner up to the jaw joint, with a widening transition.
        const ex = 0.072 - cornerX, ey = 0.045;
        const len = Math.hypot(ex, ey);
        const below = ((x - cornerX) * ey - (y - cornerY) * ex) / len;
        const band = 0.002 + 0.3 * (x - cornerX);
        w = smoothstep(-band, band, below);
      }
      w *= smoothstep(-0.065, 0.0, z) * smoothstep(-0.18, -0.1, y);
      this.jaw[v] = w;
    }
  }
  field(): Field {
    return new Float64Array(this.n * 3);
  }
  gauss(centre: Vec3, sigma: Vec3): Float64Array {
    return gaussianWeights(this.surface.positions, centre, sigma);
  }
  at(landmarks: number | number[]): Vec3 {
    return landmarkCentre(this.surface.positions, landmarks);
  }
  /** side: +1 = subject's left (+X), -1 = right. */
  sided(landmarkRight: number | number[], landmarkLeft: number | number[], side: 1 | -1): Vec3 {
    return this.at(side > 0 ? landmarkLeft : landmarkRight);
  }
}

function jawRotation(ctx: Context, angle: number, weights: ArrayLike<number> = ctx.jaw): Field {
  const P = ctx.surface.positions;
  const out = ctx.field();
  const [, py, pz] = ctx.pivot;
  for (let v = 0; v < ctx.n; v++) {
    const w = weights[v];
    if (w === 0) continue;
    const a = angle * w, c = Math.cos(a), s = Math.sin(a);
    const y = P[3 * v + 1] - py, z = P[3 * v + 2] - pz;
    out[3 * v + 1] = y * c - z * s - y;
    out[3 * v + 2] = y * s + z * c - z;
  }
  return out;
}

function jawShift(ctx: Context, d: Vec3): Field {
  const out = ctx.field();
  addWeighted(out, ctx.jaw, d);
  return out;
}

/** Lip weights: Gaussian around the mouth, split into upper (jaw weight 0) and lower (1) lips. */
function lips(ctx: Context, part: 'upper' | 'lower' | 'both', side: 0 | 1 | -1 = 0, sigma: Vec3 = [0.016, 0.008, 0.012]): Float64Array {
  const centre = ctx.at([13, 14]);
  if (side !== 0) centre[0] = ctx.sided(61, 291, side)[0] * 0.6;
  const g = ctx.gauss(centre, sigma);
  for (let v = 0; v < ctx.n; v++) {
    if (part === 'upper') g[v] *= 1 - ctx.jaw[v];
    else if (part === 'lower') g[v] *= ctx.jaw[v];
  }
  return g;
}

function gaussField(ctx: Context, centre: Vec3, sigma: Vec3, d: Vec3): Field {
  const out = ctx.field();
  addWeighted(out, ctx.gauss(centre, sigma), d);
  return out;
}

function sum(...fields: Field[]): Field {
  const out = new Float64Array(fields[0].length);
  for (const f of fields) for (let i = 0; i < f.length; i++) out[i] += f[i];
  return out;
}

function interpolateY(points: [number, number][], x: number): number {
  if (x <= points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    if (x <= points[i][0]) {
      const t = (x - points[i - 1][0]) / (points[i][0] - points[i - 1][0]);
      return points[i - 1][1] * (1 - t) + points[i][1] * t;
    }
  }
  return points[points.length - 1][1];
}

/**
 * Moves the lids of one eye: the upper lid edge to `upperTarget(upper, lower)` and the lower lid edge
 * to `lowerTarget(...)` (lid heights at each x), with falloff away from the edge; lids stay outside
 * the eyeball.
 */
function eyelids(
  ctx: Context, side: 1 | -1,
  upperTarget: (upper: number, lower: number) => number,
  lowerTarget: (upper: number, lower: number) => number,
  shiftX = 0,
): Field {
  const P = ctx.surface.positions;
  const loop = side > 0 ? LEFT_EYE_LOOP : RIGHT_EYE_LOOP;
  const line = (ids: number[]) => ids.map((i) => [P[3 * i], P[3 * i + 1]] as [number, number]).sort((a, b) => a[0] - b[0]);
  const upper = line(side > 0 ? LEFT_UPPER_LID : RIGHT_UPPER_LID);
  const lower = line(side > 0 ? LEFT_LOWER_LID : RIGHT_LOWER_LID);
  const xMin = upper[0][0], xMax = upper[upper.length - 1][0];
  const centre = eyeCentre(P, loop);
  const lidRadius = EYE_RADIUS + 0.0012;
  const out = ctx.field();
  for (let v = 0; v < ctx.n; v++) {
    const x = P[3 * v], y = P[3 * v + 1], z = P[3 * v + 2];
    if (x < xMin - 0.012 || x > xMax + 0.012 || Math.abs(y - centre[1]) > 0.03 || z < centre[2] - 0.01) continue;
    const outside = Math.max(xMin - x, x - xMax, 0);
    const wx = 1 - smoothstep(0, 0.006, outside);
    const cx = Math.min(xMax, Math.max(xMin, x));
    const uy = interpolateY(upper, cx), ly = interpolateY(lower, cx);
    const mid = (uy + ly) / 2;
    let dy: number;
    if (y >= mid) {
      const w = 1 - smoothstep(0, 0.012, y - uy);
      dy = (upperTarget(uy, ly) - uy) * w * (y >= uy - 0.001 || ctx.surface.eyeSocket[v] ? 1 : smoothstep(mid, uy, y));
    } else {
      const w = 1 - smoothstep(0, 0.008, ly - y);
      dy = (lowerTarget(uy, ly) - ly) * w * (y <= ly + 0.001 || ctx.surface.eyeSocket[v] ? 1 : smoothstep(mid, ly, y));
    }
    dy *= wx;
    const dx = shiftX * wx * (1 - smoothstep(0, 0.012, Math.abs(y - mid) - 0.004));
    let dz = 0;
    if (!ctx.surface.eyeSocket[v] && (dy !== 0 || dx !== 0)) {
      const nx = x + dx - centre[0], ny = y + dy - centre[1];
      const r2 = lidRadius * lidRadius - nx * nx - ny * ny;
      if (r2 > 0) dz = Math.max(0, centre[2] + Math.sqrt(r2) - z);
    }
    out[3 * v] = dx; out[3 * v + 1] = dy; out[3 * v + 2] = dz;
  }
  return out;
}

function buildShape(ctx: Context, name: (typeof ARKIT_BLENDSHAPES)[number]): Field {
  const side: 1 | -1 = name.endsWith('_R') ? -1 : 1;
  const base = name.replace(/_[LR]$/, '');
  const inward = -side; // towards the midline in x
  switch (base) {
    case 'eyeBlink': return eyelids(ctx, side, (u, l) => l + 0.2 * (u - l), (u, l) => l + 0.2 * (u - l) - 0.0003);
    case 'eyeSquint': return sum(eyelids(ctx, side, (u, l) => u - 0.15 * (u - l), (u, l) => l + 0.35 * (u - l)),
      gaussField(ctx, ctx.sided(118, 347, side), [0.012, 0.008, 0.012], [0, 1.5 * MM, 0.5 * MM]));
    case 'eyeWide': return eyelids(ctx, side, (u) => u + 2.5 * MM, (_, l) => l - 0.7 * MM);
    case 'eyeLookDown': return eyelids(ctx, side, (u, l) => u - 0.3 * (u - l), (_, l) => l - 1 * MM);
    case 'eyeLookUp': return eyelids(ctx, side, (u) => u + 1.5 * MM, (_, l) => l + 0.8 * MM);
    case 'eyeLookIn': return eyelids(ctx, side, (u) => u, (_, l) => l, inward * 1 * MM);
    case 'eyeLookOut': return eyelids(ctx, side, (u) => u, (_, l) => l, -inward * 1 * MM);
    case 'jawOpen': return jawRotation(ctx, JAW_OPEN_ANGLE);
    case 'jawForward': return jawShift(ctx, [0, 0, 7 * MM]);
    case 'jawLeft': return jawShift(ctx, [8 * MM, 0, 0]);
    case 'jawRight': return jawShift(ctx, [-8 * MM, 0, 0]);
    case 'mouthClose': {
      // Corrective for jawOpen: brings the lips back together while the jaw stays open.
      const open = jawRotation(ctx, JAW_OPEN_ANGLE);
      const lower = lips(ctx, 'lower', 0, [0.02, 0.01, 0.014]);
      const upper = lips(ctx, 'upper', 0, [0.02, 0.008, 0.014]);
      const gap = open[3 * 14 + 1];
      const out = ctx.field();
      for (let v = 0; v < ctx.n; v++) {
        for (let k = 0; k < 3; k++) out[3 * v + k] = -0.6 * lower[v] * open[3 * v + k];
        out[3 * v + 1] += 0.4 * upper[v] * gap;
      }
      return out;
    }
    case 'mouthFunnel': return sum(
      gaussField(ctx, ctx.at([13, 14]), [0.02, 0.014, 0.014], [0, 0, 6 * MM]),
      scaleX(ctx, lips(ctx, 'both', 0, [0.02, 0.012, 0.014]), -0.25),
      fieldFrom(ctx, lips(ctx, 'upper'), [0, 2.5 * MM, 0]), fieldFrom(ctx, lips(ctx, 'lower'), [0, -3 * MM, 0]));
    case 'mouthPucker': return sum(
      gaussField(ctx, ctx.at([13, 14]), [0.02, 0.014, 0.014], [0, 0, 8 * MM]),
      scaleX(ctx, lips(ctx, 'both', 0, [0.022, 0.014, 0.016]), -0.4));
    case 'mouthLeft': return gaussField(ctx, ctx.at([13, 14]), [0.022, 0.014, 0.016], [7 * MM, 0, 0]);
    case 'mouthRight': return gaussField(ctx, ctx.at([13, 14]), [0.022, 0.014, 0.016], [-7 * MM, 0, 0]);
    case 'mouthSmile': return sum(
      gaussField(ctx, ctx.sided(61, 291, side), [0.012, 0.012, 0.014], [side * 5 * MM, 6 * MM, -2 * MM]),
      gaussField(ctx, ctx.sided(205, 425, side), [0.014, 0.012, 0.014], [side * 1 * MM, 3 * MM, 1.5 * MM]));
    case 'mouthFrown': return gaussField(ctx, ctx.sided(61, 291, side), [0.011, 0.012, 0.014], [side * 1 * MM, -5 * MM, 0]);
    case 'mouthDimple': return gaussField(ctx, ctx.sided(61, 291, side), [0.011, 0.011, 0.014], [side * 2.5 * MM, 0, -3 * MM]);
    case 'mouthStretch': return gaussField(ctx, ctx.sided(61, 291, side), [0.013, 0.014, 0.014], [side * 5 * MM, -3 * MM, -1 * MM]);
    case 'mouthRollLower': return fieldFrom(ctx, lips(ctx, 'lower'), [0, 2 * MM, -3.5 * MM]);
    case 'mouthRollUpper': return fieldFrom(ctx, lips(ctx, 'upper'), [0, -2 * MM, -3.5 * MM]);
    case 'mouthShrugLower': return sum(fieldFrom(ctx, lips(ctx, 'lower', 0, [0.02, 0.014, 0.014]), [0, 3 * MM, 2 * MM]),
      gaussField(ctx, ctx.at(152), [0.02, 0.015, 0.02], [0, 2 * MM, 1.5 * MM]));
    case 'mouthShrugUpper': return fieldFrom(ctx, lips(ctx, 'upper', 0, [0.02, 0.01, 0.014]), [0, 2.5 * MM, 1 * MM]);
    case 'mouthPress': return sum(fieldFrom(ctx, lips(ctx, 'upper', side), [0, -1.2 * MM, -1 * MM]), fieldFrom(ctx, lips(ctx, 'lower', side), [0, 1.5 * MM, -1 * MM]));
    case 'mouthLowerDown': return fieldFrom(ctx, lips(ctx, 'lower', side, [0.013, 0.01, 0.014]), [0, -5 * MM, 0.5 * MM]);
    case 'mouthUpperUp': return fieldFrom(ctx, lips(ctx, 'upper', side, [0.013, 0.01, 0.014]), [0, 4.5 * MM, 0.5 * MM]);
    case 'browDown': return gaussField(ctx, ctx.at(side > 0 ? LEFT_BROW : RIGHT_BROW), [0.02, 0.011, 0.015], [inward * 2 * MM, -5 * MM, 1 * MM]);
    case 'browInnerUp': return sum(
      gaussField(ctx, ctx.at([107, 66]), [0.012, 0.012, 0.015], [0, 6 * MM, 0]),
      gaussField(ctx, ctx.at([336, 296]), [0.012, 0.012, 0.015], [0, 6 * MM, 0]));
    case 'browOuterUp': return gaussField(ctx, ctx.sided([70, 63], [300, 293], side), [0.013, 0.012, 0.015], [0, 6 * MM, 0]);
    case 'cheekPuff': return sum(
      gaussField(ctx, ctx.at(205), [0.016, 0.016, 0.02], [-6 * MM, 0, 3 * MM]),
      gaussField(ctx, ctx.at(425), [0.016, 0.016, 0.02], [6 * MM, 0, 3 * MM]));
    case 'cheekSquint': return gaussField(ctx, ctx.sided(117, 346, side), [0.014, 0.01, 0.014], [0, 3 * MM, 0.5 * MM]);
    case 'noseSneer': return gaussField(ctx, ctx.sided(129, 358, side), [0.008, 0.009, 0.01], [side * 0.5 * MM, 3 * MM, 0]);
    case 'tongueOut': return jawRotation(ctx, 0.25 * JAW_OPEN_ANGLE);
    default: throw new Error(`default head: no recipe for blendshape ${name}`);
  }
}

function fieldFrom(ctx: Context, weights: Float64Array, d: Vec3): Field {
  const out = ctx.field();
  addWeighted(out, weights, d);
  return out;
}

/** Pulls x towards the mouth's midline by `factor` of x, weighted. */
function scaleX(ctx: Context, weights: Float64Array, factor: number): Field {
  const P = ctx.surface.positions;
  const out = ctx.field();
  for (let v = 0; v < ctx.n; v++) out[3 * v] = weights[v] * factor * P[3 * v];
  return out;
}

export function buildExpressionBasis(surface: HeadSurface): { names: string[]; basis: Float32Array; std: Float32Array } {
  const ctx = new Context(surface);
  const n3 = surface.positions.length;
  const basis = new Float32Array(ARKIT_BLENDSHAPES.length * n3);
  ARKIT_BLENDSHAPES.forEach((name, k) => basis.set(buildShape(ctx, name), k * n3));
  return { names: [...ARKIT_BLENDSHAPES], basis, std: new Float32Array(ARKIT_BLENDSHAPES.length).fill(0.5) };
}
