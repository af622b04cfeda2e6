/**
 * Constant folding for the TF shape arithmetic of graphs exported with a dynamic batch
 * (facemesh-attention: Shape -> StridedSlice -> Pack -> Reshape). The converter fixes the batch to
 * 1, so every shape is static and these subgraphs collapse to constants at conversion time; the
 * ONNX graph then never computes shapes at run time. Pure functions on typed arrays.
 */
import type { ConstTensor } from './graph-model.js';

export type DType = ConstTensor['dtype'];

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** A constant of `dtype` (bool is stored as 0/1 in an Int32Array, as decodeWeights does). */
export function makeConstant(dtype: DType, shape: number[], values: ArrayLike<number>): ConstTensor {
  const data = dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
  return { dtype, shape, values: data };
}

/**
 * out[coordinate] = c.values[source(coordinate)] over every coordinate of `outShape` in row-major
 * order; `source` maps an output coordinate to a flat input index (Transpose, Tile, slices).
 */
export function remapConstant(c: ConstTensor, outShape: number[], source: (coordinate: number[]) => number): ConstTensor {
  const size = elementCount(outShape);
  const values = c.dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
  const coordinate = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < size; i++) {
    values[i] = c.values[source(coordinate)];
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++coordinate[d] < outShape[d]) break;
      coordinate[d] = 0;
    }
  }
  return { dtype: c.dtype, shape: outShape, values };
}

export function castConstant(c: ConstTensor, to: DType): ConstTensor {
  if (to === 'float32') return makeConstant(to, c.shape, c.values);
  if (to === 'bool') return makeConstant(to, c.shape, Array.from(c.values, (v) => (v !== 0 ? 1 : 0)));
  return makeConstant(to, c.shape, Array.from(c.values, Math.trunc));
}

/** TF Range(start, limit, delta). */
export function rangeConstant(start: number, limit: number, delta: number, dtype: DType): ConstTensor {
  const count = Math.max(0, Math.ceil((limit - start) / delta));
  return makeConstant(dtype, [count], Array.from({ length: count }, (_, i) => start + i * delta));
}

/** TF Pack (stack) of constants along `axis` of the result. */
export function packConstants(parts: ConstTensor[], axis: number): ConstTensor {
  const partShape = parts[0].shape;
  const shape = [...partShape.slice(0, axis), parts.length, ...partShape.slice(axis)];
  const inner = elementCount(partShape.slice(axis));
  const outer = elementCount(partShape.slice(0, axis));
  const values: number[] = [];
  for (let o = 0; o < outer; o++) for (const part of parts) for (let i = 0; i < inner; i++) values.push(part.values[o * inner + i]);
  return makeConstant(parts[0].dtype, shape, values);
}

export function transposeConstant(c: ConstTensor, perm: number[]): ConstTensor {
  const inStrides = stridesOf(c.shape);
  return remapConstant(c, perm.map((p) => c.shape[p]), (coordinate) => coordinate.reduce((sum, x, d) => sum + x * inStrides[perm[d]], 0));
}

export function tileConstant(c: ConstTensor, multiples: number[]): ConstTensor {
  const inStrides = stridesOf(c.shape);
  return remapConstant(c, c.shape.map((s, d) => s * multiples[d]), (coordinate) => coordinate.reduce((sum, x, d) => sum + (x % c.shape[d]) * inStrides[d], 0));
}

/** TF GatherV2 (batch_dims 0) of constants: params.shape[:axis] + indices.shape + params.shape[axis+1:]. */
export function gatherConstant(params: ConstTensor, indices: ConstTensor, axis: number): ConstTensor {
  const shape = [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)];
  const inStrides = stridesOf(params.shape);
  const indexRank = indices.shape.length;
  const indexStrides = stridesOf(indices.shape);
  return remapConstant(params, shape, (coordinate) => {
    let sum = 0;
    for (let d = 0; d < axis; d++) sum += coordinate[d] * inStrides[d];
    let flatIndex = 0;
    for (let d = 0; d < indexRank; d++) flatIndex += coordinate[axis + d] * indexStrides[d];
    const picked = indices.values[flatIndex];
    sum += (picked < 0 ? picked + params.shape[axis] : picked) * inStrides[axis];
    for (let d = axis + 1; d < params.shape.length; d++) sum += coordinate[d - 1 + indexRank] * inStrides[d];
    return sum;
  });
}

/** One input axis of a resolved strided slice: elements start, start + step, ... (count of them). */
export interface SliceAxis {
  start: number;
  step: number;
  count: number;
}

export interface StridedSliceMasks {
  begin: number;
  end: number;
  ellipsis: number;
  newAxis: number;
  shrinkAxis: number;
}

/**
 * TF StridedSlice semantics resolved against a static input shape: one SliceAxis per input axis
 * and the final output shape (shrunk axes dropped, new axes inserted as 1).
 */
export function resolveStridedSlice(shape: number[], begin: number[], end: number[], strides: number[], masks: StridedSliceMasks): { axes: SliceAxis[]; outShape: number[] } {
  const bit = (mask: number, i: number): boolean => ((mask >> i) & 1) === 1;
  const specs = begin.length;
  let consuming = 0;
  for (let i = 0; i < specs; i++) if (!bit(masks.newAxis, i) && !bit(masks.ellipsis, i)) consuming++;
  const axes: SliceAxis[] = [];
  const outShape: number[] = [];
  const keepWhole = (): void => {
    axes.push({ start: 0, step: 1, count: shape[axes.length] });
    outShape.push(shape[axes.length - 1]);
  };
  for (let i = 0; i < specs; i++) {
    if (bit(masks.ellipsis, i)) {
      for (let k = shape.length - consuming; k > 0; k--) keepWhole();
      continue;
    }
    if (bit(masks.newAxis, i)) {
      outShape.push(1);
      continue;
    }
    const dim = shape[axes.length];
    const step = strides[i];
    if (bit(masks.shrinkAxis, i)) {
      axes.push({ start: begin[i] < 0 ? begin[i] + dim : begin[i], step: 1, count: 1 });
      continue;
    }
    const clampBound = (v: number): number => (step > 0 ? Math.min(Math.max(v, 0), dim) : Math.min(Math.max(v, -1), dim - 1));
    const start = bit(masks.begin, i) ? (step > 0 ? 0 : dim - 1) : clampBound(begin[i] < 0 ? begin[i] + dim : begin[i]);
    const stop = bit(masks.end, i) ? (step > 0 ? dim : -1) : clampBound(end[i] < 0 ? end[i] + dim : end[i]);
    const count = Math.max(0, Math.ceil((stop - start) / step));
    axes.push({ start, step, count });
    outShape.push(count);
  }
  while (axes.length < shape.length) keepWhole();
  return { axes, outShape };
}

export function stridedSliceConstant(c: ConstTensor, axes: SliceAxis[], outShape: number[]): ConstTensor {
  const inStrides = stridesOf(c.shape);
  const sliced = remapConstant(c, axes.map((a) => a.count), (coordinate) => coordinate.reduce((sum, x, d) => sum + (axes[d].start + x * axes[d].step) * inStrides[d], 0));
  return { ...sliced, shape: outShape };
}

/** 2-D matrix product of constants (dtype of `a`). */
export function matMulConstants(a: ConstTensor, b: ConstTensor): ConstTensor {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const values = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let q = 0; q < k; q++) values[i * n + j] += a.values[i * k + q] * b.values[q * n + j];
  return makeConstant(a.dtype, [m, n], values);
}
