/**
 * Nearest-vertex queries on a uniform grid (meshes here have ~10^4 vertices; the hair asks it for
 * every strand vertex of every avatar, so the cells are typed arrays, not a hash map). The grid is
 * dense over the vertices' box: meant for a head's extent, tens of cells per axis.
 */

export class VertexGrid {
  /** The occupied cells' box: lowest cell per axis and cells per axis. */
  private readonly low: [number, number, number] = [0, 0, 0];
  private readonly size: [number, number, number] = [0, 0, 0];
  /** Vertices of box cell c, ascending: members[start[c]] .. members[start[c + 1] - 1]. */
  private readonly start: Int32Array;
  private readonly members: Int32Array;

  constructor(private readonly positions: Float32Array, private readonly cell = 0.01, include?: (v: number) => boolean) {
    const n = positions.length / 3;
    const cellOf = new Int32Array(3 * n);
    const included = new Uint8Array(n);
    const high = [-Infinity, -Infinity, -Infinity];
    this.low.fill(Infinity);
    for (let v = 0; v < n; v++) {
      if (include && !include(v)) continue;
      included[v] = 1;
      for (let a = 0; a < 3; a++) {
        const g = (cellOf[3 * v + a] = Math.floor(positions[3 * v + a] / cell));
        this.low[a] = Math.min(this.low[a], g); high[a] = Math.max(high[a], g);
      }
    }
    if (this.low[0] === Infinity) this.low.fill(0);
    else for (let a = 0; a < 3; a++) this.size[a] = high[a] - this.low[a] + 1;
    const [sx, sy, sz] = this.size, [lx, ly, lz] = this.low;
    this.start = new Int32Array(sx * sy * sz + 1);
    const boxCell = (v: number) => ((cellOf[3 * v] - lx) * sy + (cellOf[3 * v + 1] - ly)) * sz + (cellOf[3 * v + 2] - lz);
    for (let v = 0; v < n; v++) if (included[v]) this.start[boxCell(v) + 1]++;
    for (let c = 0; c < sx * sy * sz; c++) this.start[c + 1] += this.start[c];
    this.members = new Int32Array(this.start[sx * sy * sz]);
    const fill = this.start.slice(0, sx * sy * sz);
    for (let v = 0; v < n; v++) if (included[v]) this.members[fill[boxCell(v)]++] = v;
  }

  /**
   * Nearest accepted vertex to (x, y, z) within `maxRings` cells, or -1. Ties go to the lower index,
   * so results do not depend on insertion order.
   */
  nearest(x: number, y: number, z: number, accept?: (v: number) => boolean, maxRings = 12): number {
    const P = this.positions, cell = this.cell, { start, members, low } = this;
    const [sx, sy, sz] = this.size;
    // The query's cell relative to the box.
    const gx = Math.floor(x / cell) - low[0], gy = Math.floor(y / cell) - low[1], gz = Math.floor(z / cell) - low[2];
    let best = -1, bestD = Infinity;
    for (let reach = 0; reach <= maxRings; reach++) {
      // Once a hit is found, one more ring guarantees it is the nearest.
      if (best >= 0 && (reach - 1) * cell > Math.sqrt(bestD)) break;
      // The ring's cells (Chebyshev distance `reach`) inside the box: outside it no cell has vertices.
      const i0 = Math.max(-reach, -gx), i1 = Math.min(reach, sx - 1 - gx);
      const j0 = Math.max(-reach, -gy), j1 = Math.min(reach, sy - 1 - gy);
      const k0 = Math.max(-reach, -gz), k1 = Math.min(reach, sz - 1 - gz);
      for (let i = i0; i <= i1; i++) {
        const gapX = gapToCell(x, low[0] + gx + i, cell) ** 2;
        for (let j = j0; j <= j1; j++) {
          const gapXY = gapX + gapToCell(y, low[1] + gy + j, cell) ** 2;
          if (gapXY > bestD) continue;
          // Inside the ring's faces in i and j, only its two k faces belong to the ring.
          const onShell = i === -reach || i === reach || j === -reach || j === reach;
          const kStep = onShell ? 1 : 2 * reach;
          for (let k = onShell ? k0 : -reach; k <= k1; k += kStep) {
            // A cell wholly further than the best so far holds no nearer (or tied) vertex.
            if (k < k0 || gapXY + gapToCell(z, low[2] + gz + k, cell) ** 2 > bestD) continue;
            const c = ((gx + i) * sy + (gy + j)) * sz + (gz + k);
            for (let m = start[c]; m < start[c + 1]; m++) {
              const v = members[m];
              if (accept && !accept(v)) continue;
              const d = (P[3 * v] - x) ** 2 + (P[3 * v + 1] - y) ** 2 + (P[3 * v + 2] - z) ** 2;
              if (d < bestD || (d === bestD && v < best)) { bestD = d; best = v; }
            }
          }
        }
      }
    }
    return best;
  }
}

/**
 * Distance along one axis from `q` to grid cell `g` (0 inside it), less a millionth of a cell so
 * that a vertex the division `p / cell` put in the cell is never nearer than the bound says.
 */
function gapToCell(q: number, g: number, cell: number): number {
  return Math.max(0, g * cell - q - 1e-6 * cell, q - (g + 1) * cell - 1e-6 * cell);
}
