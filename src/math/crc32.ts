/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Portable: slice-by-8, eight table lookups per 8
 * bytes instead of one dependent lookup per byte (a cold `create` checks 15 MiB of model pack with
 * it: 72 ms byte by byte). Node: zlib's native one where Node has it (20.15+), which the Node entry
 * installs (setPlatformCrc32): on the pack 3-4 ms against the portable 15-20 ms warm, 30-40 ms in a
 * cold run's profile.
 */
const TABLES = (() => {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c >>> 0;
  }
  // tables[k * 256 + n]: the CRC of byte n followed by k zero bytes.
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const previous = tables[(k - 1) * 256 + n];
      tables[k * 256 + n] = tables[previous & 0xff] ^ (previous >>> 8);
    }
  }
  return tables;
})();

/** The platform's own CRC-32 of a whole array (Node: zlib.crc32), or null where the portable one applies. */
let platformCrc32: ((bytes: Uint8Array) => number) | null = null;

/** Installed by the Node entry (src/node/asset-files.ts). Not public API. */
export function setPlatformCrc32(crc: ((bytes: Uint8Array) => number) | null): void {
  platformCrc32 = crc;
}

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (platformCrc32) return platformCrc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  return portableCrc32(bytes, start, end);
}

export function portableCrc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let crc = 0xffffffff;
  let i = start;
  for (const blockEnd = end - ((end - start) % 8); i < blockEnd; i += 8) {
    const low = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc = t[1792 + (low & 0xff)] ^ t[1536 + ((low >>> 8) & 0xff)] ^ t[1280 + ((low >>> 16) & 0xff)] ^ t[1024 + (low >>> 24)]
      ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
