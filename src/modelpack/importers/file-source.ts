/** Named input files of an import (Node: a folder, see folder-source.ts; browsers: File objects). */
export interface FileSource {
  read(name: string): Promise<Uint8Array>;
  exists(name: string): Promise<boolean>;
  /** File names in the folder (no sub-folders). */
  list(): Promise<string[]>;
}
