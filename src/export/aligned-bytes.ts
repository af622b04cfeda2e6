/**
 * A growing byte buffer whose pieces each start on a 4-byte boundary (glTF's rule for bufferViews).
 * The pieces are kept as given, not copied: the GLB writer copies them once, straight into the file
 * (an avatar's binary chunk is several MiB; a joined copy first cost a cold `create` ~90 ms, most
 * of it faulting in fresh pages).
 */
export class AlignedBytes {
  private readonly pieces: Uint8Array[] = [];
  byteLength = 0;

  /** Appends `bytes` (kept by reference: leave them unchanged) after zero padding to 4 bytes; returns where they start. */
  append(bytes: Uint8Array): number {
    const padding = (4 - (this.byteLength % 4)) % 4;
    if (padding) {
      this.pieces.push(new Uint8Array(padding));
      this.byteLength += padding;
    }
    const offset = this.byteLength;
    this.pieces.push(bytes);
    this.byteLength += bytes.byteLength;
    return offset;
  }

  /** byteLength zero padded to a multiple of 4: the GLB's BIN chunk length. */
  get paddedLength(): number {
    return this.byteLength + ((4 - (this.byteLength % 4)) % 4);
  }

  /** Copies everything appended into `out` from `offset` (the padding after it is left as `out` has it). */
  writeInto(out: Uint8Array, offset: number): void {
    for (const piece of this.pieces) {
      out.set(piece, offset);
      offset += piece.byteLength;
    }
  }
}
