/** Worker thread of the folder builder: reads, decodes and box-downscales one UV map per message. */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { PhotoAvatarError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { uvMapSizeProblem, uvMapToPlanes } from './uv-maps.js';

export interface DecodeRequest { id: number; file: string; size: number }
export type DecodeReply = { id: number; planes: Float32Array; inputSide: number } | { id: number; error: string };

parentPort?.on('message', async (request: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    const image = decodeImage(new Uint8Array(await readFile(request.file)), { downscaleAbove: 1 << 30 }).image;
    const problem = uvMapSizeProblem(image, request.size, null);
    if (problem) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', problem);
    reply = { id: request.id, planes: uvMapToPlanes(image, request.size), inputSide: image.width };
  } catch (error) {
    reply = { id: request.id, error: error instanceof PhotoAvatarError ? error.message : `cannot be read (${(error as Error)?.message ?? String(error)})` };
  }
  if ('planes' in reply) parentPort!.postMessage(reply, [reply.planes.buffer as ArrayBuffer]);
  else parentPort!.postMessage(reply);
});
