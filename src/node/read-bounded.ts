/**
 * Node-only: reads an input file with a byte cap and, for pipes, FIFOs and devices, an idle
 * timeout, so `/dev/zero`, an endless pipe or a FIFO nobody writes to ends with a clear error
 * instead of exhausting memory or hanging.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadLimits {
  /** Inputs longer than this many bytes are refused. */
  maxBytes: number;
  /** Streams (pipes, FIFOs, devices) that deliver no data for this long are abandoned. */
  idleTimeoutMs: number;
}

/** Why a bounded read failed; the caller turns this into a message that names the file. */
export class BoundedReadError extends Error {
  constructor(readonly reason: 'too-large' | 'timeout' | 'folder' | 'errno', message: string, readonly errno?: string) {
    super(message);
  }
}

const CHUNK_BYTES = 1 << 20;
const POLL_MS = 20;

export async function readFileBounded(file: string, limits: ReadLimits): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not block the thread pool until a writer appears.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw errnoError(error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new BoundedReadError('folder', 'is a folder, not a file');
    if (stat.isFile()) {
      if (stat.size > limits.maxBytes) throw tooLarge(stat.size, limits.maxBytes);
      return await readRegular(handle, stat.size);
    }
    return await readStream(handle, limits);
  } finally {
    await handle.close();
  }
}

function tooLarge(size: number | null, maxBytes: number): BoundedReadError {
  const what = size === null ? 'more than' : `${formatBytes(size)}, more than`;
  return new BoundedReadError('too-large', `is too large (${what} the ${formatBytes(maxBytes)} limit for this kind of input)`);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(bytes % (1 << 30) ? 1 : 0)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(bytes % (1 << 20) ? 1 : 0)} MiB`;
  return `${bytes} bytes`;
}

async function readRegular(handle: FileHandle, size: number): Promise<Uint8Array> {
  // The size from fstat bounds the read: a file that grows meanwhile cannot push it past the cap.
  const out = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await readChunk(handle, out, filled, size - filled);
    if (bytesRead === 0) return out.subarray(0, filled);
    filled += bytesRead;
  }
  return out;
}

async function readStream(handle: FileHandle, limits: ReadLimits): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let lastData = Date.now();
  for (;;) {
    const buffer = new Uint8Array(CHUNK_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw errnoError(error);
      bytesRead = -1; // nothing available yet
    }
    if (bytesRead > 0) {
      total += bytesRead;
      if (total > limits.maxBytes) throw tooLarge(null, limits.maxBytes);
      chunks.push(buffer.subarray(0, bytesRead));
      lastData = Date.now();
      continue;
    }
    // A FIFO with no writer yet reads as end-of-file; only after data arrived does 0 mean the end.
    if (bytesRead === 0 && total > 0) break;
    if (Date.now() - lastData > limits.idleTimeoutMs) {
      throw new BoundedReadError('timeout', `delivered ${total > 0 ? 'no more' : 'no'} data for ${limits.idleTimeoutMs / 1000} s (a pipe or FIFO nobody writes to?)`);
    }
    await sleep(POLL_MS);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
  return out;
}

async function readChunk(handle: FileHandle, buffer: Uint8Array, offset: number, length: number) {
  try {
    return await handle.read(buffer, offset, Math.min(length, 64 * CHUNK_BYTES), null);
  } catch (error) {
    throw errnoError(error);
  }
}

function errnoError(error: unknown): BoundedReadError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return new BoundedReadError('folder', 'is a folder, not a file');
  const reason = code === 'ENOENT' ? 'does not exist'
    : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)'
      : code === 'ENOTDIR' ? 'does not exist (a part of its path is not a folder)'
        : code === 'ENAMETOOLONG' ? 'cannot be read (its name is too long)'
          : code === 'ELOOP' ? 'cannot be read (too many levels of symbolic links)'
            : `cannot be read (${code ?? String(error)})`;
  return new BoundedReadError('errno', reason, code);
}
