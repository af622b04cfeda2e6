/** Node side of the UVAPM builder: UV maps from a folder and an atomically replaced checkpoint file. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PhotoAvatarError } from '../../errors.js';
import { writeFileAtomic } from '../../node/write-atomic.js';
import type { CheckpointStore, UvMapSource } from './builder.js';
import type { DecodeReply } from './decode-worker.js';
import { confidenceFileName, isConfidenceFile } from './uv-maps.js';

const UV_MAP_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * PNG/JPEG UV maps of a folder, sorted by name so every run (and every resume) sees the same order.
 * Confidence images (`<stem>.confidence.png`, see ./uv-maps.ts) are not maps: they go with theirs.
 */
export async function listUvMapFiles(folder: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PhotoAvatarError('INVALID_ARGUMENT', `The UV map folder ${folder} ${code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is a file, not a folder' : `cannot be read (${code})`}.`);
  }
  return entries.filter((name) => UV_MAP_EXTENSIONS.has(path.extname(name).toLowerCase()) && !isConfidenceFile(name)).sort();
}

/** The confidence image paired with each map (null where there is none). */
function pairedConfidenceFiles(folder: string, names: string[]): (string | null)[] {
  return names.map((name) => {
    const file = path.join(folder, confidenceFileName(name));
    return existsSync(file) ? file : null;
  });
}

export interface FolderSourceOptions {
  /**
   * Decode in this many worker threads (needs `size`): PNG decoding of a 1024² map costs 0.1-0.6 s,
   * more than its PCA update, so workers decode ahead while the main thread folds batches.
   * 0 (default) reads bytes on the main thread and lets the builder decode.
   */
  workers?: number;
  /** Model size the workers downscale to. */
  size?: number;
}

export async function folderSource(folder: string, options: FolderSourceOptions = {}): Promise<UvMapSource> {
  const names = await listUvMapFiles(folder);
  if (names.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `The folder ${folder} holds no PNG or JPEG UV maps.`);
  const confidenceFiles = pairedConfidenceFiles(folder, names);
  const workers = options.workers ?? 0;
  if (workers > 0 && options.size) return workerSource(folder, names, confidenceFiles, options.size, workers);
  return {
    names,
    confidenceCount: confidenceFiles.filter((f) => f !== null).length,
    load: async (index) => {
      const map = new Uint8Array(await readFile(path.join(folder, names[index])));
      const confidenceFile = confidenceFiles[index];
      if (!confidenceFile) return map;
      return { map, confidence: new Uint8Array(await readFile(confidenceFile)) };
    },
  };
}

/** Runs ./decode-worker in a thread; from TS sources (tests, tsx) it bootstraps tsx's loader first. */
function startDecodeWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './decode-worker.ts' : './decode-worker.js', import.meta.url).href;
  if (!fromSource) return new Worker(new URL(url));
  return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
}

function workerSource(folder: string, names: string[], confidenceFiles: (string | null)[], size: number, workerCount: number): UvMapSource {
  const workers = Array.from({ length: workerCount }, startDecodeWorker);
  const waiting = new Map<number, (reply: DecodeReply) => void>();
  for (const worker of workers) {
    worker.on('message', (reply: DecodeReply) => { waiting.get(reply.id)?.(reply); waiting.delete(reply.id); });
    // A crashed worker must not leave the build waiting forever: fail what is pending on it.
    worker.on('error', (error) => {
      for (const [id, resolve] of waiting) if (workers[id % workerCount] === worker) resolve({ id, error: `decoder thread failed (${error.message})` });
    });
  }
  const inFlight = new Map<number, Promise<DecodeReply>>();
  const ahead = 2 * workerCount;
  const request = (index: number): void => {
    if (index >= names.length || inFlight.has(index)) return;
    inFlight.set(index, new Promise((resolve) => {
      waiting.set(index, resolve);
      workers[index % workerCount].postMessage({ id: index, file: path.join(folder, names[index]), confidenceFile: confidenceFiles[index] ?? undefined, size });
    }));
  };
  return {
    names,
    confidenceCount: confidenceFiles.filter((f) => f !== null).length,
    async load(index) {
      for (let i = index; i <= index + ahead; i++) request(i);
      const reply = await inFlight.get(index)!;
      inFlight.delete(index);
      if ('error' in reply) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', reply.error);
      return { planes: reply.planes, inputSide: reply.inputSide, confidence: reply.confidence };
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Writes `<file>.tmp` then renames over `file`: a crash mid-write leaves the previous checkpoint. */
export function fileCheckpointStore(file: string): CheckpointStore {
  return {
    load: async () => (existsSync(file) ? new Uint8Array(await readFile(file)) : null),
    save: (bytes) => writeFileAtomic(file, bytes),
  };
}
