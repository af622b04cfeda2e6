/**
 * Large Float32Array temporaries (the albedo stage's texture-sized planes) handed back once dead
 * and taken again by the next use of the same length, instead of allocated afresh for every
 * avatar. Why: a new array's memory is faulted in page by page on first touch (a fresh 12 MiB
 * array cost about 35 ms on the 2-core development VM, against 0.3 ms to zero a reused one), and
 * every large array freed is external memory that drives V8's full collections.
 *
 * Taking removes the array from the pool, so avatars made concurrently never share one. Give back
 * only an array nothing refers to any more (no view of it either): the next taker overwrites it.
 * Arrays that are never given back are simply collected. Between avatars the pool holds the
 * albedo stage's dead planes (about 100 MiB at 1024²); setScratchPoolLimit bounds it.
 */

/** Arrays under this size are cheap to allocate and stay out of the pool. */
const MIN_POOLED_BYTES = 1 << 18;
/** At most this much is held between uses (about the albedo stage's dead planes at 1024²). */
const MAX_POOLED_BYTES = 160 * 2 ** 20;
let maxPooledBytes = MAX_POOLED_BYTES;

const pooled = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/** A zero-filled Float32Array of `length` elements: one given back earlier when there is one. */
export function takeFloat32(length: number): Float32Array {
  const array = pooled.get(length)?.pop();
  if (!array) return new Float32Array(length);
  pooledBytes -= array.byteLength;
  return array.fill(0);
}

/** takeFloat32 holding a copy of `source`. */
export function takeFloat32Copy(source: Float32Array): Float32Array {
  const array = takeFloat32(source.length);
  array.set(source);
  return array;
}

/**
 * Hands dead arrays back for reuse (undefined entries are skipped). Views into a larger buffer,
 * small arrays, arrays already in the pool and arrays beyond the pool's bound are left to the
 * garbage collector.
 */
export function giveBackFloat32(...arrays: (Float32Array | undefined)[]): void {
  for (const array of arrays) {
    if (!array || array.byteLength < MIN_POOLED_BYTES || array.byteOffset !== 0 || array.byteLength !== array.buffer.byteLength) continue;
    if (pooledBytes + array.byteLength > maxPooledBytes) continue;
    let list = pooled.get(array.length);
    if (!list) pooled.set(array.length, (list = []));
    if (list.includes(array)) continue;
    list.push(array);
    pooledBytes += array.byteLength;
  }
}

/**
 * Sets how many bytes the pool may hold (default MAX_POOLED_BYTES) and lets go of what it holds
 * now. 0 turns it off: for a caller that makes one avatar per process (the CLI), where dead
 * planes held for a next avatar would only raise the peak resident memory (a cold `create` peaked
 * about 50 MiB higher with the pool on).
 */
export function setScratchPoolLimit(bytes: number): void {
  maxPooledBytes = bytes;
  pooled.clear();
  pooledBytes = 0;
}

/** Bytes the pool holds now (for tests and memory reports). */
export function pooledFloat32Bytes(): number {
  return pooledBytes;
}
