/**
 * Builds a UVAPM from a stream of UV maps with bounded memory (see ./incremental-pca.ts for the
 * bound), progress with ETA, checkpoint/resume and per-map error reporting. Browser-safe: file
 * access comes in through `UvMapSource` and `CheckpointStore` (./build-folder.ts gives Node's).
 */
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { decodeImage } from '../image/decode.js';
import { crc32 } from '../math/crc32.js';
import { readContainer, writeContainer, type SectionInput } from './container.js';
import { createGemmBackend, type GemmBackend, type GemmBackendName } from './gemm.js';
import { createPcaState, foldBatch, PcaWorkspace, summarizePca, UVAPM_CHANNELS, type PcaState } from './incremental-pca.js';
import { checkMask, uvMapSizeProblem, uvMapToPlanes } from './uv-maps.js';
import { UVAPM_CHANNEL_NAMES, type UvapmModel } from './uvapm-format.js';

/**
 * One map: encoded PNG/JPEG bytes, a decoded image, or planes already at the model size (with the
 * side of the image they came from, when there was one, for the same-size check).
 */
export type UvMapInput = Uint8Array | RgbaImage | { planes: Float32Array; inputSide?: number };

export interface UvMapSource {
  /** Map names in build order (file names for folders); they identify maps in reports. */
  names: string[];
  load(index: number): Promise<UvMapInput>;
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
  /** Stops after this many inputs as if interrupted (tests of resume); the checkpoint is written first. */
  stopAfter?: number;
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

interface CheckpointInfo {
  fingerprint: string;
  nextIndex: number;
  inputSide: number | null;
  skipped: SkippedMap[];
}

function fingerprintOf(options: { size: number; components: number; batchSize: number }, names: string[]): string {
  return JSON.stringify({ size: options.size, components: options.components, batchSize: options.batchSize, inputs: names.length, namesCrc: namesHash(names) });
}

export function encodeCheckpoint(state: PcaState, info: CheckpointInfo): Uint8Array {
  const D = state.dimension;
  const sections: SectionInput[] = [];
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
  };
  return writeContainer(CHECKPOINT_MAGIC, CHECKPOINT_VERSION, header, sections);
}

export function decodeCheckpoint(bytes: Uint8Array): { state: PcaState; info: CheckpointInfo } {
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
  return {
    state,
    info: {
      fingerprint: header.fingerprint as string,
      nextIndex: header.nextIndex as number,
      inputSide: (header.inputSide as number | null) ?? null,
      skipped: (header.skipped as SkippedMap[]) ?? [],
    },
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
  const D = size * size;
  const mask = options.mask ?? new Uint8Array(D).fill(1);
  checkMask(mask, size);
  const names = source.names;
  const fingerprint = fingerprintOf({ size, components, batchSize }, names);
  const everyBatches = Math.max(1, Math.ceil((options.checkpointEvery ?? 1000) / batchSize));

  let state = createPcaState(D, components);
  let nextIndex = 0;
  let inputSide: number | null = null;
  let skipped: SkippedMap[] = [];
  const saved = options.checkpoint ? await options.checkpoint.load() : null;
  if (saved) {
    const restored = decodeCheckpoint(saved);
    if (restored.info.fingerprint !== fingerprint) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', 'The checkpoint belongs to a build with other inputs or settings (size, components, batch size, map list); delete it to start afresh.');
    }
    if (restored.state.dimension !== D || restored.state.maxComponents !== components) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', 'Corrupt UVAPM checkpoint: its sizes contradict its fingerprint.');
    state = restored.state;
    nextIndex = restored.info.nextIndex;
    inputSide = restored.info.inputSide;
    skipped = restored.info.skipped;
  }
  const resumedFrom = nextIndex;

  const ownBackend = typeof options.backend !== 'object';
  const gemm = typeof options.backend === 'object' ? options.backend : await createGemmBackend(options.backend ?? 'onnx');
  const work = new PcaWorkspace(D, components, batchSize);
  const batch = new Float32Array(batchSize * UVAPM_CHANNELS * D);
  const started = Date.now();
  let interrupted = false;
  try {
    let filled = 0;
    let batchesSinceCheckpoint = 0;
    const report = (): void => {
      if (!options.onProgress) return;
      const elapsed = (Date.now() - started) / 1000;
      const done = nextIndex - resumedFrom;
      const rate = elapsed > 0 ? done / elapsed : 0;
      options.onProgress({
        processed: nextIndex, total: names.length, folded: state.mapCount, skipped: skipped.length,
        mapsPerSecond: rate, etaSeconds: rate > 0 ? (names.length - nextIndex) / rate : null, resumedFrom,
      });
    };
    const fold = async (): Promise<void> => {
      await foldBatch(state, batch, filled, gemm, work);
      filled = 0;
      batchesSinceCheckpoint++;
    };
    const saveCheckpoint = async (): Promise<void> => {
      if (!options.checkpoint) return;
      await options.checkpoint.save(encodeCheckpoint(state, { fingerprint, nextIndex, inputSide, skipped }));
      batchesSinceCheckpoint = 0;
    };
    while (nextIndex < names.length) {
      throwIfAborted(options.signal);
      const name = names[nextIndex];
      const problem = await loadInto(source, nextIndex, size, inputSide, batch.subarray(filled * 3 * D, (filled + 1) * 3 * D));
      if (typeof problem === 'string') {
        const entry = { name, reason: problem };
        if (options.strict) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `UV map ${name}: ${problem} (stopped: --strict).`);
        skipped.push(entry);
        options.onSkip?.(entry);
      } else {
        if (problem !== null) inputSide ??= problem;
        filled++;
      }
      nextIndex++;
      if (filled === batchSize) {
        await fold();
        // A checkpoint is only valid at a batch boundary: resuming then replays identical batches.
        if (batchesSinceCheckpoint >= everyBatches) await saveCheckpoint();
        report();
      }
      if (options.stopAfter !== undefined && nextIndex >= options.stopAfter && filled === 0) {
        await saveCheckpoint();
        interrupted = true;
        break;
      }
    }
    if (!interrupted && filled > 0) {
      await fold();
      report();
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
    createdAt: new Date().toISOString(),
    mapCount: state.mapCount,
    skipped,
    inputSize: inputSide,
    source: options.sourceDescription ?? `${names.length} UV maps`,
    maskSource: options.maskSource ?? (options.mask ? 'given mask' : 'whole map (no mask given)'),
  });
  return { model, skipped, seconds: (Date.now() - started) / 1000, resumedFrom, interrupted };
}

/** Loads one map into `out`; returns the input side (null for ready planes) or a reason to skip it. */
async function loadInto(source: UvMapSource, index: number, size: number, inputSide: number | null, out: Float32Array): Promise<number | null | string> {
  let input: UvMapInput;
  try {
    input = await source.load(index);
  } catch (error) {
    return describeError(error);
  }
  if ('planes' in input) {
    if (input.planes.length !== out.length) return `has ${input.planes.length} values, expected 3×${size}×${size}`;
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(input.planes[i])) return 'contains non-finite values';
    const side = input.inputSide;
    if (side !== undefined && inputSide !== null && side !== inputSide) return `${side}×${side}, the other maps are ${inputSide}×${inputSide}`;
    out.set(input.planes);
    return side ?? null;
  }
  let image: RgbaImage;
  if (input instanceof Uint8Array) {
    try {
      image = decodeImage(input, { downscaleAbove: 1 << 30 }).image;
    } catch (error) {
      return describeError(error);
    }
  } else image = input;
  const problem = uvMapSizeProblem(image, size, inputSide);
  if (problem) return problem;
  uvMapToPlanes(image, size, out);
  return image.width;
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
