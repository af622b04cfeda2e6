/**
 * Values that depend on a model's layout alone (a UV raster, a mirror map, a blurred coverage):
 * computed once per owner object and numeric key (a texture size, a radius, a stride), shared by
 * every avatar made with that model, and dropped with the owner. Cached values are read-only.
 */
export class PerModelCache<Owner extends object, Value> {
  private readonly byOwner = new WeakMap<Owner, Map<number, Value>>();

  get(owner: Owner, key: number, compute: () => Value): Value {
    let byKey = this.byOwner.get(owner);
    if (!byKey) this.byOwner.set(owner, (byKey = new Map()));
    let value = byKey.get(key);
    if (value === undefined) byKey.set(key, (value = compute()));
    return value;
  }
}

/**
 * Values that depend on one fitted shape (a vertices array) of a model, such as its normals or its
 * ears: computed once and reused while the same array is asked again with the same values (the hair
 * asks for them several times per avatar, and again on every `setHair`). Each hit compares the
 * array with a copy taken when the value was computed, since a caller may refill an array with
 * another shape; a comparison costs far less than any value cached here. Cached values are read-only.
 */
export class PerShapeCache<Owner extends object, Value> {
  private readonly byShape = new WeakMap<Float32Array, { owner: Owner; shape: Float32Array; value: Value }>();

  get(owner: Owner, vertices: Float32Array, compute: () => Value): Value {
    const entry = this.byShape.get(vertices);
    if (entry && entry.owner === owner && sameValues(entry.shape, vertices)) return entry.value;
    const value = compute();
    this.byShape.set(vertices, { owner, shape: vertices.slice(), value });
    return value;
  }
}

/**
 * Whether two arrays hold the same values (the caches' check that a key array was not refilled).
 * Compared as 32-bit words where both are aligned to them: one monomorphic loop for every element
 * type, a quarter of the reads for bytes (a fitted shape's 45,000 floats: 200 -> 100 µs; the hair
 * asks about ten times per mesh). Bit equality, so a float array holding -0 where the copy held 0
 * counts as refilled (the value is computed again) and equal NaNs match.
 */
export function sameValues<T extends Float32Array | Uint8Array | Uint8ClampedArray>(a: T, b: T): boolean {
  if (a.length !== b.length) return false;
  const bytes = a.byteLength;
  if (bytes % 4 === 0 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    return sameWords(new Int32Array(a.buffer, a.byteOffset, bytes / 4), new Int32Array(b.buffer, b.byteOffset, bytes / 4));
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameWords(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
