/**
 * Builds a UVAPM from a stream of UV maps with bounded memory (see ./incremental-pca.ts for the
 * bound), progress with ETA, checkpoint/resume and per-map error reporting. Maps may come with a
 * per-texel confidence: texels below minConfidence are missing data, imputed from the model
 * (EM-PCA over `imputationPasses` passes; a checkpoint in a later pass carries the previous model). Browser-safe: file
 * access comes in through `UvMapSource` and `CheckpointStore` (./build-folder.ts gives Node's).
 */
import { PhotoAvatarError, throwIfAborted } from '../../errors.js';
import type { Mask, RgbaImage } from '../../types.js';
import { decodeImage } from '../../image/decode.js';
import { crc32 } from '../../math/crc32.js';
import { readContainer, writeContainer, type SectionInput } from '../container.js';
import { createGemmBackend, type GemmBackend, type GemmBackendName } from '../gemm.js';
import {
  createPcaState, foldBatch, hasMissingTexels, imputationModelOf, imputeFromBatchMean, imputeMissingTexels, PcaWorkspace,
  snapshotImputationModel, summarizePca, UVAPM_CHANNELS, type ImputationModel, type PcaState,
} from './incremental-pca.js';
import { checkMask, confidenceToTexels, uvMapSizeProblem, uvMapToPlanes } from './uv-maps.js';
import { UVAPM_CHANNEL_NAMES, type UvapmModel } from '../uvapm-format.js';
import { addSkinColour, createSkinColourAccumulator, finishSkinColour, meanSkinColour } from '../skin-colour.js';

/**
 * One map: encoded PNG/JPEG bytes, a decoded image, or planes already at the model size (with the
 * side of the image they came from, when there was one, for the same-size check). Maps made from
 * photos come with a per-texel confidence (white = observed, black = missing; PNG/JPEG bytes or a
 * decoded image/mask of any square size, or 0..255 values at the model size beside planes):
 * texels below `minConfidence` are missing data, imputed from the model (./incremental-pca.ts).
 */
export type UvMapInput =
  | Uint8Array
  | RgbaImage
  | { planes: Float32Array; inputSide?: number; confidence?: Uint8Array }
  | { map: Uint8Array | RgbaImage; confidence: Uint8Array | RgbaImage | Mask };

export interface UvMapSource {
  /** Map names in build order (file names for folders); they identify maps in reports. */
  names: string[];
  load(index: number): Promise<UvMapInput>;
  /** How many maps come with a confidence image (folder sources report it for the CLI). */
  confidenceCount?: number;
  /** Releases resources (worker threads); called once when the build ends. */
  close?(): Promise<void>;
}

export interface CheckpointStore {
  /** The saved checkpoint, or null to start afresh. */
  load(): Promise<Uint8Array | null>;
  /** Must replace the previous checkpoint atomically. */
  save(bytes: Uint8Array): Promise<void>;
}

export interface BuildProgress {
  /** Inputs read so far (folded + skipped), of `total`. */
  processed: number;
  total: number;
  folded: number;
  skipped: number;
  mapsPerSecond: number;
  /** Seconds left at the current rate; null before the first batch. */
  etaSeconds: number | null;
  resumedFrom: number;
  /** EM pass (0-based) and the passes planned; passes after the first run only when maps had missing texels. */
  pass: number;
  passes: number;
}

export interface SkippedMap {
  name: string;
  reason: string;
}

export interface BuildUvapmOptions {
  size: number;
  /** Components per channel (default 100). */
  components?: number;
  /** Maps per incremental step (default 100); memory grows linearly with it. */
  batchSize?: number;
  /** UV face mask at size × size (1 inside); default: the whole map. */
  mask?: Uint8Array;
  maskSource?: string;
  /** Stop at the first unusable map instead of skipping it. */
  strict?: boolean;
  /** 'onnx' (default, faster: see bench/uvapm.ts), 'ts', or a ready backend. */
  backend?: GemmBackendName | GemmBackend;
  onProgress?: (progress: BuildProgress) => void;
  onSkip?: (skipped: SkippedMap) => void;
  checkpoint?: CheckpointStore;
  /** Write a checkpoint after at least this many folded maps (rounded up to whole batches; default 1000). */
  checkpointEvery?: number;
  signal?: AbortSignal;
  /** Recorded in provenance. */
  sourceDescription?: string;
  /** Stops after this many inputs (counted over all passes) as if interrupted (tests of resume); the checkpoint is written first. */
  stopAfter?: number;
  /** Texels whose confidence is below this (0..1, default 0.5) are missing data. */
  minConfidence?: number;
  /**
   * Passes over the maps when some have missing texels (default 3): pass 1 imputes from the model
   * built so far, each later pass from the previous pass's final model (EM). Maps without missing
   * texels cost one pass whatever this says.
   */
  imputationPasses?: number;
  /** Provenance timestamp; default now. Reproducible builds pass a fixed string. */
  createdAt?: string;
  /** Recorded in provenance (UV maps made from photos). */
  photos?: UvapmModel['provenance']['photos'];
  inputsSha256?: string;
  /**
   * Face-skin texels at size × size: when given, the model records the maps' skin-colour
   * statistics (skin-colour.ts), the de-lighting's prior. Gathered on the first pass of a build
   * that did not resume from a checkpoint.
   */
  skinRegion?: Uint8Array;
}

export interface BuildUvapmResult {
  model: UvapmModel;
  skipped: SkippedMap[];
  seconds: number;
  resumedFrom: number;
  /** True when `stopAfter` ended the run early (model is then the partial state). */
  interrupted: boolean;
}

const CHECKPOINT_MAGIC = 'PAVUVCKP';
const CHECKPOINT_VERSION = 1;

function namesHash(names: string[]): number {
  return crc32(new TextEncoder().encode(names.join('\n')));
}

interface MissingStats {
  /** Maps (of the first pass) with at least one missing texel, and the sum of their missing fractions. */
  maps: number;
  fractionSum: number;
}

interface CheckpointInfo {
  fingerprint: string;
  nextIndex: number;
  inputSide: number | null;
  skipped: SkippedMap[];
  /** EM pass the checkpoint was taken in (absent = 0). */
  pass?: number;
  missing?: MissingStats;
}

function fingerprintOf(options: { size: number; components: number; batchSize: number; minConfidence: number; passes: number }, names: string[]): string {
  return JSON.stringify({ size: options.size, components: options.components, batchSize: options.batchSize, minConfidence: options.minConfidence, passes: options.passes, inputs: names.length, namesCrc: namesHash(names) });
}

/** `imputation` is the previous pass's model, needed to resume a pass after the first. */
export function encodeCheckpoint(state: PcaState, info: CheckpointInfo, imputation?: ImputationModel | null): Uint8Array {
  const D = state.dimension;
  const sections: SectionInput[] = [];
  if (imputation) {
    imputation.means.forEach((mean, c) => {
      const name = UVAPM_CHANNEL_NAMES[c];
      sections.push(
        { name: `imputation.mean.${name}`, dtype: 'f64', shape: [D], data: mean },
        { name: `imputation.components.${name}`, dtype: 'f32', shape: [imputation.count, D], data: imputation.components[c].subarray(0, imputation.count * D) },
        { name: `imputation.variance.${name}`, dtype: 'f64', shape: [imputation.count], data: imputation.variances[c] },
      );
    });
  }
  state.channels.forEach((ch, c) => {
    const name = UVAPM_CHANNEL_NAMES[c];
    sections.push(
      { name: `mean.${name}`, dtype: 'f64', shape: [D], data: ch.mean },
      { name: `components.${name}`, dtype: 'f32', shape: [ch.count, D], data: ch.components.subarray(0, ch.count * D) },
      { name: `singularValues.${name}`, dtype: 'f64', shape: [ch.count], data: ch.singularValues.subarray(0, ch.count) },
    );
  });
  const header = {
    formatVersion: CHECKPOINT_VERSION,
    kind: 'uvapm-build-checkpoint',
    ...info,
    dimension: D,
    maxComponents: state.maxComponents,
    mapCount: state.mapCount,
    counts: state.channels.map((ch) => ch.count),
    totalSquares: state.channels.map((ch) => ch.totalSquares),
    imputationCount: imputation ? imputation.count : null,
  };
  return writeContainer(CHECKPOINT_MAGIC, CHECKPOINT_VERSION, header, sections);
}

export function decodeCheckpoint(bytes: Uint8Array): { state: PcaState; info: CheckpointInfo; imputation: ImputationModel | null } {
  const { header, sections } = readContainer(bytes, CHECKPOINT_MAGIC, CHECKPOINT_VERSION, 'UVAPM checkpoint');
  const D = header.dimension as number, K = header.maxComponents as number;
  const counts = header.counts as number[], squares = header.totalSquares as number[];
  if (!Number.isInteger(D) || !Number.isInteger(K) || !Array.isArray(counts) || counts.length !== 3) {
    throw new PhotoAvatarError('CORRUPT_MODEL_PACK', 'Corrupt UVAPM checkpoint: bad dimension or counts.');
  }
  const state = createPcaState(D, K);
  state.mapCount = header.mapCount as number;
  state.channels.forEach((ch, c) => {
    const name = UVAPM_CHANNEL_NAMES[c];
    const get = (key: string, length: number) => {
      const s = sections.get(`${key}.${name}`);
      if (!s || s.data.length !== length) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt UVAPM checkpoint: section ${key}.${name} is missing or mis-sized.`);
      return s.data;
    };
    ch.count = counts[c];
    ch.mean.set(get('mean', D));
    ch.components.set(get('components', counts[c] * D));
    ch.singularValues.set(get('singularValues', counts[c]));
    ch.totalSquares = squares[c];
  });
  let imputation: ImputationModel | null = null;
  const imputationCount = header.imputationCount;
  if (typeof imputationCount === 'number') {
    const get = (key: string, c: number, length: number): Float64Array | Float32Array => {
      const s = sections.get(`imputation.${key}.${UVAPM_CHANNEL_NAMES[c]}`);
      if (!s || s.data.length !== length) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt UVAPM checkpoint: section imputation.${key}.${UVAPM_CHANNEL_NAMES[c]} is missing or mis-sized.`);
      return s.data as Float64Array | Float32Array;
    };
    const channels = [0, 1, 2];
    imputation = {
      dimension: D,
      count: imputationCount,
      means: channels.map((c) => Float64Array.from(get('mean', c, D))),
      components: channels.map((c) => Float32Array.from(get('components', c, imputationCount * D))),
      variances: channels.map((c) => Float64Array.from(get('variance', c, imputationCount))),
    };
  }
  return {
    state,
    info: {
      fingerprint: header.fingerprint as string,
      nextIndex: header.nextIndex as number,
      inputSide: (header.inputSide as number | null) ?? null,
      skipped: (header.skipped as SkippedMap[]) ?? [],
      pass: (header.pass as number | undefined) ?? 0,
      missing: (header.missing as MissingStats | undefined) ?? { maps: 0, fractionSum: 0 },
    },
    imputation,
  };
}

function describeError(error: unknown): string {
  return error instanceof PhotoAvatarError ? error.message : `cannot be read (${(error as Error)?.message ?? String(error)})`;
}

export async function buildUvapm(source: UvMapSource, options: BuildUvapmOptions): Promise<BuildUvapmResult> {
  const size = options.size;
  if (!Number.isInteger(size) || size < 4 || size > 1024) throw new PhotoAvatarError('INVALID_ARGUMENT', `UVAPM size must be an integer from 4 to 1024, got ${size}.`);
  const components = options.components ?? 100;
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new PhotoAvatarError('INVALID_ARGUMENT', `Batch size must be a positive integer, got ${batchSize}.`);
  const minConfidence = options.minConfidence ?? 0.5;
  if (!(minConfidence > 0 && minConfidence <= 1)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Minimum confidence must be in (0, 1], got ${minConfidence}.`);
  const passes = options.imputationPasses ?? 3;
  if (!Number.isInteger(passes) || passes < 1) throw new PhotoAvatarError('INVALID_ARGUMENT', `Imputation passes must be a positive integer, got ${passes}.`);
  // Confidence is stored in 8 bits: a texel is observed when its value reaches this.
  const threshold = Math.max(1, Math.round(minConfidence * 255));
  const D = size * size;
  const mask = options.mask ?? new Uint8Array(D).fill(1);
  checkMask(mask, size);
  const names = source.names;
  const fingerprint = fingerprintOf({ size, components, batchSize, minConfidence, passes }, names);
  const everyBatches = Math.max(1, Math.ceil((options.checkpointEvery ?? 1000) / batchSize));

  let state = createPcaState(D, components);
  let nextIndex = 0;
  let pass = 0;
  let inputSide: number | null = null;
  let skipped: SkippedMap[] = [];
  let missing: MissingStats = { maps: 0, fractionSum: 0 };
  /** The previous pass's final model; null in the first pass, which imputes from the running state. */
  let previousModel: ImputationModel | null = null;
  const saved = options.checkpoint ? await options.checkpoint.load() : null;
  if (saved) {
    const restored = decodeCheckpoint(saved);
    if (restored.info.fingerprint !== fingerprint) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', 'The checkpoint belongs to a build with other inputs or settings (size, components, batch size, confidence, passes, map list); delete it to start afresh.');
    }
    if (restored.state.dimension !== D || restored.state.maxComponents !== components) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', 'Corrupt UVAPM checkpoint: its sizes contradict its fingerprint.');
    state = restored.state;
    nextIndex = restored.info.nextIndex;
    inputSide = restored.info.inputSide;
    skipped = restored.info.skipped;
    pass = restored.info.pass ?? 0;
    missing = restored.info.missing ?? missing;
    previousModel = restored.imputation;
    if (pass > 0 && !previousModel) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt UVAPM checkpoint: pass ${pass + 1} without the previous pass's model.`);
  }
  const resumedFrom = nextIndex;
  const resumedPass = pass;

  const ownBackend = typeof options.backend !== 'object';
  const gemm = typeof options.backend === 'object' ? options.backend : await createGemmBackend(options.backend ?? 'onnx');
  const work = new PcaWorkspace(D, components, batchSize);
  const batch = new Float32Array(batchSize * UVAPM_CHANNELS * D);
  const batchConfidence = new Uint8Array(batchSize * D);
  const started = Date.now();
  const skinColours = createSkinColourAccumulator();
  let interrupted = false;
  try {
    let filled = 0;
    let batchMissing = false;
    let batchesSinceCheckpoint = 0;
    const plannedPasses = (): number => (pass === 0 && missing.maps === 0 ? 1 : passes);
    const report = (): void => {
      if (!options.onProgress) return;
      const elapsed = (Date.now() - started) / 1000;
      const done = (pass - resumedPass) * names.length + nextIndex - resumedFrom;
      const rate = elapsed > 0 ? done / elapsed : 0;
      const left = (plannedPasses() - 1 - pass) * names.length + names.length - nextIndex;
      options.onProgress({
        processed: nextIndex, total: names.length, folded: state.mapCount, skipped: skipped.length,
        mapsPerSecond: rate, etaSeconds: rate > 0 ? left / rate : null, resumedFrom, pass, passes: plannedPasses(),
      });
    };
    const fold = async (): Promise<void> => {
      if (batchMissing) {
        if (!previousModel && state.mapCount === 0) imputeFromBatchMean(batch, batchConfidence, filled, D, threshold);
        else {
          const model = previousModel ?? imputationModelOf(state);
          for (let m = 0; m < filled; m++) {
            const confidence = batchConfidence.subarray(m * D, (m + 1) * D);
            if (hasMissingTexels(confidence, threshold)) imputeMissingTexels(model, batch.subarray(m * 3 * D, (m + 1) * 3 * D), confidence, threshold);
          }
        }
      }
      await foldBatch(state, batch, filled, gemm, work);
      filled = 0;
      batchMissing = false;
      batchesSinceCheckpoint++;
    };
    const saveCheckpoint = async (): Promise<void> => {
      if (!options.checkpoint) return;
      await options.checkpoint.save(encodeCheckpoint(state, { fingerprint, nextIndex, inputSide, skipped, pass, missing }, previousModel));
      batchesSinceCheckpoint = 0;
    };
    for (;;) {
      while (nextIndex < names.length) {
        throwIfAborted(options.signal);
        const name = names[nextIndex];
        const confidence = batchConfidence.subarray(filled * D, (filled + 1) * D);
        const problem = await loadInto(source, nextIndex, size, inputSide, batch.subarray(filled * 3 * D, (filled + 1) * 3 * D), confidence);
        if (typeof problem === 'string') {
          const entry = { name, reason: problem };
          if (options.strict) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `UV map ${name}: ${problem} (stopped: --strict).`);
          // Later passes meet the same unusable maps again; they are reported once.
          if (pass === 0) {
            skipped.push(entry);
            options.onSkip?.(entry);
          }
        } else {
          if (problem !== null) inputSide ??= problem;
          if (pass === 0 && options.skinRegion) {
            const colour = meanSkinColour(batch.subarray(filled * 3 * D, (filled + 1) * 3 * D), options.skinRegion);
            if (colour) addSkinColour(skinColours, colour);
          }
          const fraction = missingFraction(confidence, threshold);
          if (fraction > 0) {
            batchMissing = true;
            if (pass === 0) { missing.maps++; missing.fractionSum += fraction; }
          }
          filled++;
        }
        nextIndex++;
        if (filled === batchSize) {
          await fold();
          // A checkpoint is only valid at a batch boundary: resuming then replays identical batches.
          if (batchesSinceCheckpoint >= everyBatches) await saveCheckpoint();
          report();
        }
        if (options.stopAfter !== undefined && pass * names.length + nextIndex >= options.stopAfter && filled === 0) {
          await saveCheckpoint();
          interrupted = true;
          break;
        }
      }
      if (interrupted) break;
      if (filled > 0) {
        await fold();
        report();
      }
      if (pass + 1 >= plannedPasses() || state.mapCount < 2) break;
      // EM: the next pass re-reads every map and imputes from this pass's final model.
      previousModel = snapshotImputationModel(state);
      state = createPcaState(D, components);
      pass++;
      nextIndex = 0;
    }
  } finally {
    if (ownBackend) await gemm.dispose();
    await source.close?.();
  }
  if (!interrupted && state.mapCount < 2) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `A UVAPM needs at least 2 usable UV maps; ${state.mapCount} of ${names.length} could be used${skipped.length ? ` (skipped: ${skipped.map((s) => s.name).join(', ')})` : ''}.`);
  }
  const model = finishModel(state, mask, {
    generator: 'babylon-photo-avatar build-uvapm (incremental PCA)',
    createdAt: options.createdAt ?? new Date().toISOString(),
    mapCount: state.mapCount,
    skipped,
    inputSize: inputSide,
    source: options.sourceDescription ?? `${names.length} UV maps`,
    maskSource: options.maskSource ?? (options.mask ? 'given mask' : 'whole map (no mask given)'),
    ...(missing.maps > 0 ? {
      missingData: {
        mapsWithMissingTexels: missing.maps,
        meanMissingFraction: missing.fractionSum / missing.maps,
        minConfidence,
        passes: pass + 1,
        method: 'EM-PCA: texels below minConfidence imputed from the model (MAP projection of the observed texels), first pass from the running model, later passes from the previous pass',
      },
    } : {}),
    ...(options.photos ? { photos: options.photos } : {}),
    ...(options.inputsSha256 ? { inputsSha256: options.inputsSha256 } : {}),
  });
  const skinColour = resumedFrom === 0 && resumedPass === 0 ? finishSkinColour(skinColours) : undefined;
  if (skinColour) model.skinColour = skinColour;
  return { model, skipped, seconds: (Date.now() - started) / 1000, resumedFrom, interrupted };
}

function missingFraction(confidence: Uint8Array, threshold: number): number {
  let count = 0;
  for (let t = 0; t < confidence.length; t++) if (confidence[t] < threshold) count++;
  return count / confidence.length;
}

/**
 * Loads one map into `out` and its confidence (0..255 per texel, 255 where the input has none)
 * into `confidence`; returns the input side (null for ready planes) or a reason to skip it.
 */
async function loadInto(source: UvMapSource, index: number, size: number, inputSide: number | null, out: Float32Array, confidence: Uint8Array): Promise<number | null | string> {
  let input: UvMapInput;
  try {
    input = await source.load(index);
  } catch (error) {
    return describeError(error);
  }
  confidence.fill(255);
  if (!(input instanceof Uint8Array) && 'planes' in input) {
    if (input.planes.length !== out.length) return `has ${input.planes.length} values, expected 3×${size}×${size}`;
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(input.planes[i])) return 'contains non-finite values';
    const side = input.inputSide;
    if (side !== undefined && inputSide !== null && side !== inputSide) return `${side}×${side}, the other maps are ${inputSide}×${inputSide}`;
    if (input.confidence) {
      if (input.confidence.length !== confidence.length) return `its confidence has ${input.confidence.length} texels, expected ${size}×${size}`;
      confidence.set(input.confidence);
    }
    out.set(input.planes);
    return side ?? null;
  }
  // Uint8Array has a `map` method: test for the pair by its confidence.
  const paired = !(input instanceof Uint8Array) && 'confidence' in input ? input : null;
  const image = decodeInput(paired ? paired.map : (input as Uint8Array | RgbaImage));
  if (typeof image === 'string') return image;
  const problem = uvMapSizeProblem(image, size, inputSide);
  if (problem) return problem;
  if (paired) {
    const confidenceImage = paired.confidence instanceof Uint8Array ? decodeInput(paired.confidence) : paired.confidence;
    if (typeof confidenceImage === 'string') return `its confidence image ${confidenceImage}`;
    if (confidenceImage.width !== image.width || confidenceImage.height !== image.height) {
      return `its confidence image is ${confidenceImage.width}×${confidenceImage.height}, the map ${image.width}×${image.height}`;
    }
    confidenceToTexels(confidenceImage, size, confidence);
  }
  uvMapToPlanes(image, size, out);
  return image.width;
}

function decodeInput(input: Uint8Array | RgbaImage): RgbaImage | string {
  if (!(input instanceof Uint8Array)) return input;
  try {
    return decodeImage(input, { downscaleAbove: 1 << 30 }).image;
  } catch (error) {
    return describeError(error);
  }
}

export function finishModel(state: PcaState, mask: Uint8Array, provenance: UvapmModel['provenance']): UvapmModel {
  const summary = summarizePca(state);
  const K = summary.componentCount;
  const D = state.dimension;
  const size = Math.round(Math.sqrt(D));
  return {
    size,
    componentCount: K,
    means: state.channels.map((ch) => Float32Array.from(ch.mean)),
    components: state.channels.map((ch) => ch.components.slice(0, K * D)),
    singularValues: state.channels.map((ch) => Float32Array.from(ch.singularValues.subarray(0, K))),
    variances: summary.variances.map((v) => Float32Array.from(v)),
    explainedVarianceRatio: summary.explainedVarianceRatio.map((v) => Float32Array.from(v)),
    mask: Uint8Array.from(mask),
    provenance,
  };
}
