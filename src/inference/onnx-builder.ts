/**
 * Minimal helpers to emit ONNX models from TypeScript with onnx-proto. Used by the TFJS converter
 * (face models) and by the fitting engine (linear-algebra graphs). Opset 13 throughout.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export { onnx };

export const OPSET = 13;
export const TensorType = onnx.TensorProto.DataType;

export type AttributeValue = number | number[] | string | Float32Array | { tensor: onnxProto.onnx.ITensorProto };

/** A graph under construction: nodes, initializers, inputs and outputs. */
export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dims: (number | string)[], elemType: number = TensorType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims: (number | string)[], elemType: number = TensorType.FLOAT): string {
    this.outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** Adds a float32 constant initializer. */
  constantFloat(name: string, dims: number[], values: Float32Array | number[]): string {
    this.initializers.push({ name, dims, dataType: TensorType.FLOAT, rawData: toBytes(Float32Array.from(values)) });
    return name;
  }

  /** Adds a float16 constant initializer from raw IEEE half bits (kept fp16 as shipped). */
  constantHalf(name: string, dims: number[], bits: Uint16Array): string {
    this.initializers.push({ name, dims, dataType: TensorType.FLOAT16, rawData: toBytes(bits) });
    return name;
  }

  constantInt32(name: string, dims: number[], values: Int32Array | number[]): string {
    this.initializers.push({ name, dims, dataType: TensorType.INT32, rawData: toBytes(Int32Array.from(values)) });
    return name;
  }

  constantInt64(name: string, dims: number[], values: number[] | BigInt64Array): string {
    const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: TensorType.INT64, rawData: toBytes(data) });
    return name;
  }

  /** Appends a node; returns its output names. */
  node(opType: string, inputs: string[], outputs: string[] | number = 1, attributes: Record<string, AttributeValue> = {}, name?: string): string[] {
    const outNames = typeof outputs === 'number'
      ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()))
      : outputs;
    this.nodes.push({
      opType,
      input: inputs,
      output: outNames,
      name: name ?? this.fresh(`n_${opType}`),
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outNames;
  }

  /** Serialises the graph to ONNX model bytes. */
  build(graphName = 'graph'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'babylon-photo-avatar',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

export function valueInfo(name: string, dims: (number | string)[], elemType: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: A.INT, i: value } : { name, type: A.FLOAT, f: value };
  }
  if (value instanceof Float32Array) return { name, type: A.FLOATS, floats: Array.from(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  return { name, type: A.TENSOR, t: value.tensor };
}

function toBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}
