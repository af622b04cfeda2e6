/** Nearest-vertex queries on a uniform grid (build-time helper; meshes here have ~10^4 vertices). */

export class VertexGrid {
  private readonly cells = new Map<number, number[]>();

  constructor(private readonly positions: Float32Array, private readonly cell = 0.01, include?: (v: number) => boolean) {
    const n = positions.length / 3;
    for (let v = 0; v < n; v++) {
      if (include && !include(v)) continue;
      const k = this.key(Math.floor(positions[3 * v] / cell), Math.floor(positions[3 * v + 1] / cell), Math.floor(positions[3 * v + 2] / cell));
      let list = this.cells.get(k);
      if (!list) this.cells.set(k, (list = []));
      list.push(v);
    }
  }

  private key(gx: number, gy: number, gz: number): number {
    return (gx + 512) * 1048576 + (gy + 512) * 1024 + (gz + 512);
  }

  /**
   * Nearest accepted vertex to (x, y, z) within `maxRings` cells, or -1. Ties go to the lower index,
   * so results do not depend on insertion order.
   */
  nearest(x: number, y: number, z: number, accept?: (v: number) => boolean, maxRings = 12): number {
    const P = this.positions, cell = this.cell;
    const gx = Math.floor(x / cell), gy = Math.floor(y / cell), gz = Math.floor(z / cell);
    let best = -1, bestD = Infinity;
    for (let reach = 0; reach <= maxRings; reach++) {
      // Once a hit is found, one more ring guarantees it is the nearest.
      if (best >= 0 && (reach - 1) * cell > Math.sqrt(bestD)) break;
      for (let i = -reach; i <= reach; i++) for (let j = -reach; j <= reach; j++) for (let k = -reach; k <= reach; k++) {
        if (Math.max(Math.abs(i), Math.abs(j), Math.abs(k)) !== reach) continue;
        const list = this.cells.get(this.key(gx + i, gy + j, gz + k));
        if (!list) continue;
        for (const v of list) {
          if (accept && !accept(v)) continue;
          const d = (P[3 * v] - x) ** 2 + (P[3 * v + 1] - y) ** 2 + (P[3 * v + 2] - z) ** 2;
          if (d < bestD || (d === bestD && v < best)) { bestD = d; best = v; }
        }
      }
    }
    return best;
  }
}
