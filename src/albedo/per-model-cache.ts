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
