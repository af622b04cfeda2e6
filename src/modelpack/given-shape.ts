/**
 * A head shape supplied by the user (for example a scan registered to the pack's topology) instead
 * of a fitted identity: read from OBJ, checked against the pack, and turned into a derived
 * HeadModel whose mean is that shape and which has no identity modes, so the fitting moves only
 * the pose (and, if asked, the expression) and the albedo stage textures exactly that mesh.
 */
import { PhotoAvatarError } from '../errors.js';
import { partsFollowingShape, type HeadModel } from './head-model.js';
import { parseObj } from './importers/obj.js';

/** A shape whose eye corners are further than this factor from the pack's is in other units or another head space. */
const EYE_DISTANCE_TOLERANCE = 2;

/**
 * Vertex positions of an OBJ in the pack's vertex order. Accepted layouts: exactly the pack's
 * vertices; the pack's vertices followed by its parts (as writeObj and many exporters write the
 * head first); or one vertex per welded position (packs split UV-seam vertices; such an OBJ lists
 * each position once, in the order of the pack's weld representatives).
 */
export function shapeFromObj(input: string | Uint8Array, model: HeadModel, source = 'shape OBJ'): Float32Array {
  const obj = parseObj(input, { source, positionsOnly: true });
  const count = obj.positions.length / 3;
  const n = model.vertexCount;
  const partVertices = model.parts.reduce((sum, part) => sum + part.positions.length / 3, 0);
  let shape: Float32Array;
  if (count === n || (partVertices > 0 && count === n + partVertices)) {
    shape = obj.positions.slice(0, n * 3);
  } else {
    const representatives = weldRepresentatives(model);
    if (count !== representatives.count || representatives.count === n) {
      const accepted = [n, ...(partVertices > 0 ? [n + partVertices] : []), ...(representatives.count !== n ? [representatives.count] : [])];
      throw new PhotoAvatarError('INVALID_ARGUMENT',
        `${source} has ${count} vertices; model '${model.id}' needs a mesh of its own topology with ${accepted.join(' or ')} vertices.`);
    }
    shape = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) {
      const from = representatives.rank[model.weldGroup[v]] * 3;
      shape[v * 3] = obj.positions[from];
      shape[v * 3 + 1] = obj.positions[from + 1];
      shape[v * 3 + 2] = obj.positions[from + 2];
    }
  }
  checkGivenShape(model, shape, source);
  return shape;
}

/** Rank of each weld representative among all representatives (in vertex order), and their count. */
function weldRepresentatives(model: HeadModel): { rank: Int32Array; count: number } {
  const rank = new Int32Array(model.vertexCount).fill(-1);
  let count = 0;
  for (let v = 0; v < model.vertexCount; v++) if (model.weldGroup[v] === v) rank[v] = count++;
  return { rank, count };
}

/** Throws INVALID_ARGUMENT unless `shape` is finite, has the pack's vertex count and plausible units. */
export function checkGivenShape(model: HeadModel, shape: Float32Array, source = 'The given shape'): void {
  if (shape.length !== model.vertexCount * 3) {
    throw new PhotoAvatarError('INVALID_ARGUMENT',
      `${source} has ${shape.length / 3} vertices; model '${model.id}' has ${model.vertexCount}.`);
  }
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isFinite(shape[i])) throw new PhotoAvatarError('INVALID_ARGUMENT', `${source}: vertex ${Math.floor(i / 3)} is not finite.`);
  }
  const given = eyeCornerDistance(shape, model.landmarks68);
  const mean = eyeCornerDistance(model.positions, model.landmarks68);
  const ratio = given / mean;
  if (!(ratio < EYE_DISTANCE_TOLERANCE && ratio > 1 / EYE_DISTANCE_TOLERANCE)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT',
      `${source}: its outer eye corners are ${given.toPrecision(3)} units apart, the model's ${mean.toPrecision(3)} m; ` +
      `the mesh must be in metres, in the model's vertex order.`);
  }
}

function eyeCornerDistance(positions: Float32Array, landmarks68: Uint32Array): number {
  const a = landmarks68[36] * 3, b = landmarks68[45] * 3;
  return Math.hypot(positions[a] - positions[b], positions[a + 1] - positions[b + 1], positions[a + 2] - positions[b + 2]);
}

/**
 * The model with `shape` as its mean and no identity modes: fitting it moves only pose and
 * expression. Expression deltas and the parts (eyes follow the shape) carry over; the id changes so
 * that coefficient-only files (.avatar) never pair it with the pack's own mean.
 */
export function modelWithGivenShape(model: HeadModel, shape: Float32Array): HeadModel {
  checkGivenShape(model, shape);
  return {
    ...model,
    id: `${model.id}+given-shape`,
    name: `${model.name} (given shape)`,
    provenance: `${model.provenance} Shape replaced by a user-supplied mesh of the same topology.`,
    positions: shape.slice(),
    identityCount: 0,
    identityBasis: new Float32Array(0),
    identityStd: new Float32Array(0),
    parts: partsFollowingShape(model, shape),
  };
}
