/** Worker thread of the folder builder: reads, decodes and box-downscales one UV map per message. */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { PhotoAvatarError } from '../../errors.js';
import { decodeImage } from '../../image/decode.js';
import { confidenceToTexels, uvMapSizeProblem, uvMapToPlanes } from './uv-maps.js';

/** `confidenceFile`: the map's confidence image (./uv-maps.ts CONFIDENCE_SUFFIX), when it has one. */
export interface DecodeRequest { id: number; file: string; size: number; confidenceFile?: string }
export type DecodeReply = { id: number; planes: Float32Array; inputSide: number; confidence?: Uint8Array } | { id: number; error: string };

parentPort?.on('message', async (request: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    const image = decodeImage(new Uint8Array(await readFile(request.file)), { downscaleAbove: 1 << 30 }).image;
    const problem = uvMapSizeProblem(image, request.size, null);
    if (problem) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', problem);
    let confidence: Uint8Array | undefined;
    if (request.confidenceFile) {
      const confidenceImage = decodeImage(new Uint8Array(await readFile(request.confidenceFile)), { downscaleAbove: 1 << 30 }).image;
      if (confidenceImage.width !== image.width || confidenceImage.height !== image.height) {
        throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `its confidence image is ${confidenceImage.width}×${confidenceImage.height}, the map ${image.width}×${image.height}`);
      }
      confidence = confidenceToTexels(confidenceImage, request.size);
    }
    reply = { id: request.id, planes: uvMapToPlanes(image, request.size), inputSide: image.width, confidence };
  } catch (error) {
    reply = { id: request.id, error: error instanceof PhotoAvatarError ? error.message : `cannot be read (${(error as Error)?.message ?? String(error)})` };
  }
  if ('planes' in reply) parentPort!.postMessage(reply, [reply.planes.buffer as ArrayBuffer, ...(reply.confidence ? [reply.confidence.buffer as ArrayBuffer] : [])]);
  else parentPort!.postMessage(reply);
});
