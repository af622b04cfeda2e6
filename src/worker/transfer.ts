/**
 * Copies a message into buffers nobody else holds, so postMessage can transfer them instead of
 * cloning: the copy costs the sender (the worker), the receiver (the main thread) gets the arrays
 * for free. Copying first also keeps the sender's own arrays (cached models, reused buffers)
 * usable after the transfer detaches the copies.
 */

type Transferable = ArrayBuffer;

/**
 * A deep copy of `value` (plain objects, arrays, typed arrays, primitives) whose typed arrays each
 * own a fresh, exactly sized ArrayBuffer, added to `transfer`. Other objects are kept as they are.
 */
export function copyForTransfer<T>(value: T, transfer: Transferable[]): T {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const copy = (value as unknown as { slice(): ArrayBufferView }).slice();
    transfer.push(copy.buffer as ArrayBuffer);
    return copy as T;
  }
  if (Array.isArray(value)) return value.map((item) => copyForTransfer(item, transfer)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = copyForTransfer(item, transfer);
    return copy as T;
  }
  return value;
}
