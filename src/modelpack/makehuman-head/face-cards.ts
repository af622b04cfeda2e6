/**
 * Eyelashes and eyebrows as strand cards from the CC0 MakeHuman proxies (Eyelashes01 and
 * eyebrow001, both by Manuel Bastioni), glued to the head so that they follow the fitted identity
 * and the expressions (SubMesh.attachment, MakeHuman's proxy rule):
 * - brows keep the proxy's own rule: three hm08 skin vertices (mapped onto the cut head) with its
 *   weights; the offset is what places the stored vertex on the unwarped head, so the brows ride
 *   on the face warp and on every expression that moves the brow skin;
 * - lashes are fitted in hm08 to helper geometry that the head does not keep, so each lash vertex
 *   is re-attached to the nearest point of its lid margin (the MediaPipe lid contour); a blink then
 *   carries the upper lashes down with the margin.
 * Each expression that moves a card gets it as a part morph (exact: the rule is linear).
 */
import type { SubMesh } from '../head-model.js';
import type { Hm08Mesh } from './hm08-source.js';
import type { HeadCut } from './head-cut.js';
import { checkMakeHumanTeam, loadProxy, strandTexture, type ProxyMesh } from './proxy.js';

export const CARD_SOURCES = { lashes: { kind: 'eyelashes', name: 'Eyelashes01' }, brows: { kind: 'eyebrows', name: 'eyebrow001' } } as const;
/** Texels a side: enough for the strand pattern, a quarter of the 512² source's bytes. */
const CARD_TEXTURE_SIZE = 256;
/** Metres: an expression moving no card vertex further than this gets no morph on the card. */
const MORPH_MIN = 1e-4;

/** MediaPipe lid contours, outer corner to inner corner (subject's right eye, then the left mirrored). */
const LID_MARGINS = {
  rightUpper: [33, 246, 161, 160, 159, 158, 157, 173, 133],
  rightLower: [33, 7, 163, 144, 145, 153, 154, 155, 133],
  leftUpper: [263, 466, 388, 387, 386, 385, 384, 398, 362],
  leftLower: [263, 249, 390, 373, 374, 380, 381, 382, 362],
} as const;

export interface CardInput {
  hm08: Hm08Mesh;
  cut: HeadCut;
  /** Model-space translation of hm08 (./frame.ts). */
  t: readonly number[];
  /** The cut head before the face warp, model space (where the proxies' stored vertices fit). */
  unwarped: Float32Array;
  /** The finished rest head. */
  positions: Float32Array;
  landmarks468: Uint32Array;
  expressionNames: readonly string[];
  expressionBasis: Float32Array;
}

/** Per vertex: the proxy's rest position in model space (unwarped head) and its attachment. */
interface Glue { vertices: Uint32Array; weights: Float32Array }

/** hm08 vertex -> a cut-head vertex sitting exactly on it (a quad corner). */
function cutVertexOfHm08(cut: HeadCut, hm08Count: number): Int32Array {
  const map = new Int32Array(hm08Count).fill(-1);
  for (let v = 0; v + 1 < cut.sourceOffsets.length; v++) {
    if (cut.sourceOffsets[v + 1] - cut.sourceOffsets[v] !== 1) continue;
    const s = cut.sourceVertices[cut.sourceOffsets[v]];
    if (map[s] < 0) map[s] = v;
  }
  return map;
}

function browGlue(proxy: ProxyMesh, input: CardInput): Glue {
  const map = cutVertexOfHm08(input.cut, input.hm08.positions.length / 3);
  const vertices = Uint32Array.from(proxy.ref.vertices, (s) => {
    if (map[s] < 0) throw new Error(`${proxy.name}: hm08 vertex ${s} is not on the cut head`);
    return map[s];
  });
  return { vertices, weights: proxy.ref.weights };
}

/** Connected pieces of a triangle list (union-find), as a root per vertex. */
function pieces(indices: Uint32Array, count: number): Int32Array {
  const root = Int32Array.from({ length: count }, (_, i) => i);
  const find = (v: number): number => { while (root[v] !== v) v = root[v] = root[root[v]]; return v; };
  for (let i = 0; i < indices.length; i += 3) {
    const a = find(indices[i]);
    root[find(indices[i + 1])] = a;
    root[find(indices[i + 2])] = a;
  }
  return Int32Array.from({ length: count }, (_, v) => find(v));
}

/** Each lash strip goes to the lid margin it lines: side by x, upper or lower by its centre against the eye corners. */
function lashGlue(proxy: ProxyMesh, P: Float32Array, input: CardInput): Glue {
  const n = P.length / 3;
  const U = input.unwarped, lm = input.landmarks468;
  const root = pieces(proxy.indices, n);
  const centres = new Map<number, number[]>();
  for (let v = 0; v < n; v++) {
    const c = centres.get(root[v]) ?? [0, 0, 0, 0];
    for (let a = 0; a < 3; a++) c[a] += P[3 * v + a];
    c[3]++;
    centres.set(root[v], c);
  }
  const marginOf = (piece: number): readonly number[] => {
    const [x, y, , count] = centres.get(piece)!;
    const side = x > 0 ? 'left' : 'right';
    const upper = LID_MARGINS[`${side}Upper`];
    const cornerY = (U[3 * lm[upper[0]] + 1] + U[3 * lm[upper[upper.length - 1]] + 1]) / 2;
    return y / count > cornerY ? upper : LID_MARGINS[`${side}Lower`];
  };
  const vertices = new Uint32Array(n * 3), weights = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) {
    const margin = marginOf(root[v]);
    let best = Infinity;
    for (let k = 0; k + 1 < margin.length; k++) {
      const a = lm[margin[k]], b = lm[margin[k + 1]];
      const d = [0, 1, 2].map((i) => U[3 * b + i] - U[3 * a + i]);
      const q = [0, 1, 2].map((i) => P[3 * v + i] - U[3 * a + i]);
      const s = Math.min(1, Math.max(0, (q[0] * d[0] + q[1] * d[1] + q[2] * d[2]) / (d[0] ** 2 + d[1] ** 2 + d[2] ** 2 || 1)));
      const gap = Math.hypot(q[0] - s * d[0], q[1] - s * d[1], q[2] - s * d[2]);
      if (gap < best) {
        best = gap;
        vertices.set([a, b, a], 3 * v);
        weights.set([1 - s, s, 0], 3 * v);
      }
    }
  }
  return { vertices, weights };
}

/** Weighted sum of the glued head vertices of card vertex i in `field` (positions or a displacement field). */
function gluedSum(glue: Glue, field: Float32Array, i: number, a: number, base = 0): number {
  let sum = 0;
  for (let k = 0; k < 3; k++) sum += glue.weights[3 * i + k] * field[base + 3 * glue.vertices[3 * i + k] + a];
  return sum;
}

function cardPart(name: 'lashes' | 'brows', proxy: ProxyMesh, rest: Float32Array, glue: Glue, input: CardInput): SubMesh {
  const n = rest.length / 3;
  // Same offset from the glued point on the finished head as on the unwarped one.
  const positions = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) positions[3 * i + a] = rest[3 * i + a] - gluedSum(glue, input.unwarped, i, a) + gluedSum(glue, input.positions, i, a);
  }
  const headSize = input.positions.length;
  const names: string[] = [];
  const displacements: number[] = [];
  input.expressionNames.forEach((expression, k) => {
    const delta = new Float32Array(n * 3);
    let largest = 0;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < 3; a++) {
        delta[3 * i + a] = gluedSum(glue, input.expressionBasis, i, a, k * headSize);
        largest = Math.max(largest, Math.abs(delta[3 * i + a]));
      }
    }
    if (largest < MORPH_MIN) return;
    names.push(expression);
    displacements.push(...delta);
  });
  const pivot = new Float32Array(3);
  for (let i = 0; i < n; i++) for (let a = 0; a < 3; a++) pivot[a] += positions[3 * i + a] / n;
  const source = CARD_SOURCES[name];
  return {
    name,
    positions,
    uvs: proxy.uvs,
    indices: proxy.indices,
    pivot,
    material: name,
    ...(names.length ? { morphs: { names, displacements: Float32Array.from(displacements) } } : {}),
    attachment: glue,
    texture: { size: CARD_TEXTURE_SIZE, luminanceAlpha: strandTexture(source.kind, source.name, CARD_TEXTURE_SIZE) },
  };
}

/** The lash and brow cards on the finished head, with the proxies used (for the provenance). */
export function buildFaceCards(input: CardInput): { parts: SubMesh[]; proxies: ProxyMesh[] } {
  const load = (which: keyof typeof CARD_SOURCES) => {
    const proxy = loadProxy(CARD_SOURCES[which].kind, CARD_SOURCES[which].name, input.hm08.positions);
    checkMakeHumanTeam(proxy);
    const rest = new Float32Array(proxy.positions.length);
    for (let i = 0; i < rest.length; i++) rest[i] = proxy.positions[i] + input.t[i % 3];
    return { proxy, rest };
  };
  const lashes = load('lashes'), brows = load('brows');
  return {
    parts: [
      cardPart('lashes', lashes.proxy, lashes.rest, lashGlue(lashes.proxy, lashes.rest, input), input),
      cardPart('brows', brows.proxy, brows.rest, browGlue(brows.proxy, input), input),
    ],
    proxies: [lashes.proxy, brows.proxy],
  };
}
