/**
 * Eyelashes and eyebrows as strand cards from the CC0 MakeHuman proxies (Eyelashes01 and
 * eyebrow001, both by Manuel Bastioni), glued to the head so that they follow the fitted identity
 * and the expressions (SubMesh.attachment, MakeHuman's proxy rule):
 * - brows ride on the face warp by the proxy's own rule (three hm08 skin vertices mapped onto the
 *   cut head, its weights), are then raised per side onto the MediaPipe brow points (where the
 *   photo's brows land on the fitted head; hm08's brows sit about half a centimetre lower), laid
 *   BROW_HEIGHT over the skin, and are glued to the skin triangle under each vertex;
 * - lashes are fitted in hm08 to helper geometry that the head does not keep, so each lash vertex
 *   is re-attached to the nearest point of its lid margin (the MediaPipe lid contour); a blink then
 *   carries the upper lashes down with the margin.
 * Each expression that moves a card gets it as a part morph (exact: the rule is linear).
 */
import type { SubMesh } from '../head-model.js';
import type { Hm08Mesh } from './hm08-source.js';
import type { HeadCut } from './head-cut.js';
import { checkMakeHumanTeam, fadeAtCardOutline, loadProxy, strandTexture, type ProxyMesh } from './proxy.js';
import { closestOnTriangle, connectedPieces } from '../mesh-utils.js';

const CARD_SOURCES = { lashes: { kind: 'eyelashes', name: 'Eyelashes01' }, brows: { kind: 'eyebrows', name: 'eyebrow001' } } as const;
/** Texels a side: enough for the strand pattern, a quarter of the 512² source's bytes. */
const CARD_TEXTURE_SIZE = 256;
/** Texels (at CARD_TEXTURE_SIZE) over which the strands fade out towards the cards' outline: about 0.7 mm of brow, a screen pixel or two at a game's face sizes. */
const CARD_EDGE_FADE = 3;
/**
 * Metres the brow cards lie over the skin under each vertex. The proxy's own heights, carried
 * through the face warp, ran from -2.4 to +3.5 mm: a third of the cards lay under the skin, which
 * cut the brows into jagged patches.
 */
const BROW_HEIGHT = 0.001;
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

/** MediaPipe brow contours (upper and lower), both sides. */
const BROW_POINTS = [70, 63, 105, 66, 107, 46, 53, 52, 65, 55, 300, 293, 334, 296, 336, 276, 283, 282, 295, 285] as const;

/** Per card vertex: the three head vertices it is glued to and their weights. */
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

/** The brows' proxy rule on the cut head, and their rest positions carried through the face warp. */
function browsOnWarpedHead(proxy: ProxyMesh, rest: Float32Array, input: CardInput): Float32Array {
  const map = cutVertexOfHm08(input.cut, input.hm08.positions.length / 3);
  const glue = {
    vertices: Uint32Array.from(proxy.ref.vertices, (s) => {
      if (map[s] < 0) throw new Error(`${proxy.name}: hm08 vertex ${s} is not on the cut head`);
      return map[s];
    }),
    weights: proxy.ref.weights,
  };
  return carried(rest, glue, input);
}

/** Per point: the closest point on the head's outer skin (island 0), as glue, and its unit normal. */
function glueToSkin(points: Float32Array, input: CardInput): { glue: Glue; normals: Float32Array } {
  const P = input.positions, I = input.cut.indices, island = input.cut.island;
  const n = points.length / 3;
  const glue = { vertices: new Uint32Array(n * 3), weights: new Float32Array(n * 3) };
  const normals = new Float32Array(n * 3);
  const at = (v: number) => [P[3 * v], P[3 * v + 1], P[3 * v + 2]];
  for (let i = 0; i < n; i++) {
    const p = [points[3 * i], points[3 * i + 1], points[3 * i + 2]];
    let best = Infinity;
    for (let t = 0; t < I.length; t += 3) {
      if (island[I[t]] !== 0) continue;
      const a = at(I[t]), b = at(I[t + 1]), c = at(I[t + 2]);
      const w = closestOnTriangle(p, a, b, c);
      const q = [0, 1, 2].map((k) => w[0] * a[k] + w[1] * b[k] + w[2] * c[k]);
      const d = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
      if (d >= best) continue;
      best = d;
      glue.vertices.set([I[t], I[t + 1], I[t + 2]], 3 * i);
      glue.weights.set(w, 3 * i);
      const e1 = [0, 1, 2].map((k) => b[k] - a[k]), e2 = [0, 1, 2].map((k) => c[k] - a[k]);
      const normal = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
      const length = Math.hypot(normal[0], normal[1], normal[2]) || 1;
      normals.set(normal.map((x) => x / length), 3 * i);
    }
  }
  return { glue, normals };
}

/**
 * The brows on the finished head: each side's cards raised by the gap between the mean height of
 * its MediaPipe brow points and its own, then laid BROW_HEIGHT over the skin under them, and
 * glued there. Returns the rest positions and glue.
 */
function placeBrows(warped: Float32Array, input: CardInput): { positions: Float32Array; glue: Glue } {
  const P = input.positions, lm = input.landmarks468;
  const n = warped.length / 3;
  const lift = [1, -1].map((side) => {
    const points = BROW_POINTS.filter((i) => Math.sign(P[3 * lm[i]]) === side);
    const target = points.reduce((sum, i) => sum + P[3 * lm[i] + 1], 0) / points.length;
    let own = 0, count = 0;
    for (let i = 0; i < n; i++) if (Math.sign(warped[3 * i]) === side) { own += warped[3 * i + 1]; count++; }
    return target - own / count;
  });
  const raised = Float32Array.from(warped, (x, k) => (k % 3 === 1 ? x + lift[warped[k - 1] > 0 ? 0 : 1] : x));
  const under = glueToSkin(raised, input);
  const positions = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      positions[3 * i + a] = gluedSum(under.glue, P, i, a) + BROW_HEIGHT * under.normals[3 * i + a];
    }
  }
  return { positions, glue: under.glue };
}

/**
 * Each lash strip goes to the lid margin it lines: side by x, upper or lower by its centre against
 * the eye corners. `upper` is 1 for the vertices of upper lashes.
 */
function lashGlue(proxy: ProxyMesh, P: Float32Array, input: CardInput): Glue & { upper: Uint8Array } {
  const n = P.length / 3;
  const U = input.unwarped, lm = input.landmarks468;
  const root = connectedPieces(proxy.indices, n);
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
  const vertices = new Uint32Array(n * 3), weights = new Float32Array(n * 3), upper = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const margin = marginOf(root[v]);
    upper[v] = +(margin === LID_MARGINS.rightUpper || margin === LID_MARGINS.leftUpper);
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
  return { vertices, weights, upper };
}

/**
 * Share of each lash card's reach off its lid margin that is kept. Eyelashes01's upper cards reach
 * up to 13.7 mm off the margin at the outer corner (q90 8.1 mm) and its lower ones 7.0 mm: drawn at
 * full length they read as false lashes, a spiky black fringe round every eye in close-ups, men's
 * included (hrn 00034). Drawn in to half (upper, at most 6.9 mm) and 0.6 (lower, 4.2 mm), they read
 * as lashes in the sample scene's close-ups of hrn 00034, 3ddfa_v2 emma and deep3d 000007.
 */
const LASH_REACH = { upper: 0.5, lower: 0.6 };

/** Weighted sum of the glued head vertices of card vertex i in `field` (positions or a displacement field). */
function gluedSum(glue: Glue, field: Float32Array, i: number, a: number, base = 0): number {
  let sum = 0;
  for (let k = 0; k < 3; k++) sum += glue.weights[3 * i + k] * field[base + 3 * glue.vertices[3 * i + k] + a];
  return sum;
}

/** Lash positions drawn towards their glued lid point, to LASH_REACH of their reach, in place. */
function shortenLashes(positions: Float32Array, glue: Glue & { upper: Uint8Array }, head: Float32Array): Float32Array {
  for (let i = 0; i < positions.length / 3; i++) {
    const keep = glue.upper[i] ? LASH_REACH.upper : LASH_REACH.lower;
    for (let a = 0; a < 3; a++) {
      const root = gluedSum(glue, head, i, a);
      positions[3 * i + a] = root + keep * (positions[3 * i + a] - root);
    }
  }
  return positions;
}

/** Rest positions on the unwarped head carried to the finished one: same offset from the glued point. */
function carried(rest: Float32Array, glue: Glue, input: CardInput): Float32Array {
  const positions = new Float32Array(rest.length);
  for (let i = 0; i < rest.length / 3; i++) {
    for (let a = 0; a < 3; a++) positions[3 * i + a] = rest[3 * i + a] - gluedSum(glue, input.unwarped, i, a) + gluedSum(glue, input.positions, i, a);
  }
  return positions;
}

function cardPart(name: 'lashes' | 'brows', proxy: ProxyMesh, positions: Float32Array, glue: Glue, input: CardInput): SubMesh {
  const n = positions.length / 3;
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
    attachment: { vertices: glue.vertices, weights: glue.weights },
    texture: { size: CARD_TEXTURE_SIZE, luminanceAlpha: fadeAtCardOutline(strandTexture(source.kind, source.name, CARD_TEXTURE_SIZE), CARD_TEXTURE_SIZE, proxy.uvs, proxy.indices, CARD_EDGE_FADE) },
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
  const lashGlued = lashGlue(lashes.proxy, lashes.rest, input);
  const browsPlaced = placeBrows(browsOnWarpedHead(brows.proxy, brows.rest, input), input);
  return {
    parts: [
      cardPart('lashes', lashes.proxy, shortenLashes(carried(lashes.rest, lashGlued, input), lashGlued, input.positions), lashGlued, input),
      cardPart('brows', brows.proxy, browsPlaced.positions, browsPlaced.glue, input),
    ],
    proxies: [lashes.proxy, brows.proxy],
  };
}
