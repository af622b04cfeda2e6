/**
 * Vertex attributes as the small integer types that KHR_mesh_quantization (and core glTF for
 * WEIGHTS_0 / COLOR_0) allows, for the compact GLB (compact-glb.ts). Each result is a tightly
 * strided vertex buffer: glTF wants vertex strides in multiples of 4 bytes, so VEC3 of int16 take
 * 8 bytes and VEC3 of int8 take 4 (the pad is zero, which meshopt's codec stores for free).
 *
 * Error bounds (half a quantization step, in the attribute's own unit):
 *   snorm16: 0.5 / 32767 = 1.53e-5 (POSITION and its morph deltas in metres: 15 µm)
 *   unorm16: 0.5 / 65535 = 7.6e-6  (TEXCOORD_0: 0.008 texels of a 1024² map)
 *   snorm8:  0.5 / 127   = 3.9e-3  (NORMAL and its morph deltas)
 *   unorm8:  0.5 / 255   = 2.0e-3  (COLOR_0; WEIGHTS_0 keep an exact sum of 255 / 255)
 */

export const GL_BYTE = 5120;
export const GL_UNSIGNED_BYTE = 5121;
export const GL_SHORT = 5122;
export const GL_UNSIGNED_SHORT = 5123;

export const SNORM16_ERROR = 0.5 / 32767;
export const UNORM16_ERROR = 0.5 / 65535;
export const SNORM8_ERROR = 0.5 / 127;

export interface QuantizedAttribute {
  bytes: Uint8Array;
  componentType: number;
  type: 'VEC2' | 'VEC3' | 'VEC4';
  count: number;
  /** Bytes from one vertex to the next. */
  byteStride: number;
  /** Bounds in the stored integer values (glTF's rule for normalized accessors). */
  min: number[];
  max: number[];
}

/** Per-component min and max of `components`-vectors laid out every `stride` values (0 when empty). */
export function componentBounds(values: ArrayLike<number>, stride: number, components: number): { min: number[]; max: number[] } {
  const min = new Array<number>(components).fill(Infinity);
  const max = new Array<number>(components).fill(-Infinity);
  for (let i = 0; i < values.length; i += stride) {
    for (let k = 0; k < components; k++) {
      const v = values[i + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
  }
  // Empty data still needs finite bounds.
  return { min: min.map((v) => (Number.isFinite(v) ? v : 0)), max: max.map((v) => (Number.isFinite(v) ? v : 0)) };
}

/** Largest magnitude in `values` (to decide whether a unit-range encoding can hold them). */
export function largestMagnitude(values: Float32Array): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    if (v > largest) largest = v;
  }
  return largest;
}

type IntegerArray = Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * Math.round(x) for x = a float32 (clamped) times a scale here (at most 65535), -0 as 0 (what the
 * integer arrays store anyway). x then holds at most 40 significant bits, so x + 0.5 rounds away
 * nothing that could move the floor: the same integers (also checked on every half step ±40 ulps
 * and 12 million random floats). Why: V8 ran Math.round several times slower than Math.floor in
 * these loops (the head's 52 morph targets' normal deltas quantized: 8.0 -> 3.9 ms CPU, median of 60 alternating).
 */
function roundScaled(x: number): number {
  return Math.floor(x + 0.5);
}

/**
 * `components`-vectors clamped to [low, 1] and scaled to integers in `out`, one vertex every
 * `byteStride` bytes (the padding stays zero).
 */
function quantizeVectors(values: Float32Array, components: 2 | 3 | 4, out: IntegerArray, componentType: number, byteStride: number, low: number, scale: number): QuantizedAttribute {
  const count = values.length / components;
  const stride = byteStride / out.BYTES_PER_ELEMENT;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < components; k++) out[stride * i + k] = roundScaled(Math.max(low, Math.min(1, values[components * i + k])) * scale);
  }
  return {
    bytes: new Uint8Array(out.buffer), componentType, type: `VEC${components}`, count, byteStride,
    ...componentBounds(out, stride, components),
  };
}

/** VEC3 in [-1, 1] as normalized int16 (stride 8). Values outside are clamped: check with largestMagnitude first. */
export function snorm16Vec3(values: Float32Array): QuantizedAttribute {
  return quantizeVectors(values, 3, new Int16Array((values.length / 3) * 4), GL_SHORT, 8, -1, 32767);
}

/** VEC3 in [-1, 1] (unit normals, normal deltas clamped) as normalized int8 (stride 4). */
export function snorm8Vec3(values: Float32Array): QuantizedAttribute {
  return quantizeVectors(values, 3, new Int8Array((values.length / 3) * 4), GL_BYTE, 4, -1, 127);
}

/** VEC4 in [-1, 1] (glTF TANGENT: unit xyz and the handedness w = ±1) as normalized int8 (stride 4). */
export function snorm8Vec4(values: Float32Array): QuantizedAttribute {
  return quantizeVectors(values, 4, new Int8Array(values.length), GL_BYTE, 4, -1, 127);
}

/**
 * snorm8Vec3 of vectors that are zero outside `vertices` (a morph target's footprint: distinct
 * vertices), reading and writing those alone: the same bytes and bounds. A head's 52 targets each
 * move a part of its vertices; quantized whole, most of the work was zeros. A vector whose every
 * stored component lies within `deadZone` steps of 0 is written as zeros.
 */
export function snorm8Vec3Within(values: Float32Array, vertices: Uint32Array, deadZone = 0): QuantizedAttribute {
  return snormVec3Within(values, vertices, new Int8Array((values.length / 3) * 4), GL_BYTE, 127, deadZone);
}

/**
 * snorm16Vec3 of vectors that are zero outside `vertices` (distinct), as snorm8Vec3Within: a
 * head's morph-target POSITION deltas, where each target moves about a quarter of the default
 * head's vertices (its 52 targets quantized whole: 35-44 ms of a cold start, here 19-28).
 */
export function snorm16Vec3Within(values: Float32Array, vertices: Uint32Array): QuantizedAttribute {
  return snormVec3Within(values, vertices, new Int16Array((values.length / 3) * 4), GL_SHORT, 32767);
}

/** quantizeVectors' snorm VEC3 (4 elements a vertex in `out`, zeros) at `vertices` alone, with the same bounds; vectors within `deadZone` steps of 0 as zeros. */
function snormVec3Within(values: Float32Array, vertices: Uint32Array, out: Int8Array | Int16Array, componentType: number, scale: number, deadZone = 0): QuantizedAttribute {
  const count = values.length / 3;
  // The bounds in scalars, each component written out: with 3-arrays indexed per component, the
  // loop took a third longer (the compact GLB's 52 morph targets' normal deltas: 5.3 -> 4.0 ms, min of 40).
  let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
  for (let j = 0; j < vertices.length; j++) {
    const v = vertices[j];
    // `| 0`: what the integer array holds (an integer in [-scale, scale] as it is, NaN and -0 as 0).
    let x = roundScaled(Math.max(-1, Math.min(1, values[3 * v])) * scale) | 0;
    let y = roundScaled(Math.max(-1, Math.min(1, values[3 * v + 1])) * scale) | 0;
    let z = roundScaled(Math.max(-1, Math.min(1, values[3 * v + 2])) * scale) | 0;
    if (x <= deadZone && x >= -deadZone && y <= deadZone && y >= -deadZone && z <= deadZone && z >= -deadZone) x = y = z = 0;
    out[4 * v] = x; out[4 * v + 1] = y; out[4 * v + 2] = z;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    if (z < minZ) minZ = z;
    if (z > maxZ) maxZ = z;
  }
  const min = [minX, minY, minZ], max = [maxX, maxY, maxZ];
  // The vertices outside hold zeros: some are outside unless the distinct vertices cover them all
  // (counted, not flagged: a flag array and its scan per target were garbage and a pass for nothing).
  if (vertices.length < count) for (let k = 0; k < 3; k++) { min[k] = Math.min(min[k], 0); max[k] = Math.max(max[k], 0); }
  return {
    bytes: new Uint8Array(out.buffer), componentType, type: 'VEC3', count, byteStride: 4 * out.BYTES_PER_ELEMENT,
    min: min.map((v) => (Number.isFinite(v) ? v : 0)), max: max.map((v) => (Number.isFinite(v) ? v : 0)),
  };
}

/** VEC2 in [0, 1] (texture coordinates) as normalized uint16 (stride 4). */
export function unorm16Vec2(values: Float32Array): QuantizedAttribute {
  return quantizeVectors(values, 2, new Uint16Array(values.length), GL_UNSIGNED_SHORT, 4, 0, 65535);
}

/** VEC2 in [0, 1] as normalized uint8 (stride 4): texture coordinates that need no more than 1/255 (OCCLUSION_RAMP's). */
export function unorm8Vec2(values: Float32Array): QuantizedAttribute {
  return quantizeVectors(values, 2, new Uint8Array((values.length / 2) * 4), GL_UNSIGNED_BYTE, 4, 0, 255);
}

/** VEC3 in [0, 1] (vertex colours) as normalized uint8 (stride 4). */
export function unorm8Vec3(values: Float32Array): QuantizedAttribute {
  return quantizeVectors(values, 3, new Uint8Array((values.length / 3) * 4), GL_UNSIGNED_BYTE, 4, 0, 255);
}

/**
 * Skin weights (VEC4, each vertex summing to 1) as normalized uint8 summing to exactly 255, as
 * glTF asks of quantized weights: the rounding remainder goes to the largest weight.
 */
export function unorm8Weights(weights: Float32Array): QuantizedAttribute {
  const count = weights.length / 4;
  const out = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    let largest = 4 * i;
    for (let k = 0; k < 4; k++) {
      const q = roundScaled(Math.max(0, Math.min(1, weights[4 * i + k])) * 255);
      out[4 * i + k] = q;
      sum += q;
      if (weights[4 * i + k] > weights[largest]) largest = 4 * i + k;
    }
    out[largest] += 255 - sum;
  }
  return { bytes: out, componentType: GL_UNSIGNED_BYTE, type: 'VEC4', count, byteStride: 4, ...componentBounds(out, 4, 4) };
}
