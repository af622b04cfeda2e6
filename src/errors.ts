/**
 * The one error type the product throws for problems the user can fix (bad photo, bad model pack,
 * bad arguments). `code` is stable for programs; `message` names the problem for people.
 */
export type PhotoAvatarErrorCode =
  | 'NOT_AN_IMAGE'
  | 'CORRUPT_IMAGE'
  | 'NO_FACE'
  | 'FACE_TOO_SMALL'
  | 'FACE_INDEX_OUT_OF_RANGE'
  | 'EXTREME_POSE'
  | 'CORRUPT_MODEL_PACK'
  | 'UNSUPPORTED_MODEL_PACK'
  | 'CORRUPT_INPUT_FILE'
  | 'UNREADABLE_INPUT'
  | 'OUTPUT_NOT_WRITABLE'
  | 'INVALID_ARGUMENT'
  | 'ABORTED'
  | 'MISSING_ASSET'
  /** onnxruntime-web failed or timed out (WASM start-up, thread workers, session creation). */
  | 'RUNTIME_FAILURE';

export class PhotoAvatarError extends Error {
  readonly code: PhotoAvatarErrorCode;

  constructor(code: PhotoAvatarErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PhotoAvatarError';
    this.code = code;
  }
}

/** Throws an ABORTED error when the signal has fired; call between stages and inside long loops. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PhotoAvatarError('ABORTED', 'Avatar creation was cancelled.');
}
