/** A growing byte buffer whose pieces each start on a 4-byte boundary (glTF's rule for bufferViews). */
export class AlignedBytes {
  private readonly pieces: Uint8Array[] = [];
  byteLength = 0;

  /** Appends `bytes` after zero padding to 4 bytes; returns where they start. */
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

  /** Everything appended, zero padded to a multiple of 4 bytes. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength + ((4 - (this.byteLength % 4)) % 4));
    let offset = 0;
    for (const piece of this.pieces) {
      out.set(piece, offset);
      offset += piece.byteLength;
    }
    return out;
  }
}
