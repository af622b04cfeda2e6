/** AvatarData fixtures for the .avatar format and loader tests. */
import { decodeShape, type HeadModel } from '../../src/modelpack/head-model.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { makeAvatarData, syntheticHeadModel } from '../export/synthetic-avatar.js';
import { seededRandom } from '../modelpack/synthetic-model.js';
import { crc32 } from '../../src/math/crc32.js';

/** The default head from the generated pack (what .avatar loading resolves), else the synthetic head. */
export async function testModel(): Promise<{ model: HeadModel; source: string }> {
  try {
    return { model: await loadDefaultHead(), source: 'default head pack' };
  } catch (error) {
    console.log(`    default head pack unavailable (${(error as Error).message}); using the synthetic head`);
    return { model: syntheticHeadModel(), source: 'synthetic head' };
  }
}

/** Non-trivial coefficients: every identity and expression mode and SH coefficient differs. */
export function richAvatarData(model: HeadModel, albedo: RgbaImage): AvatarData {
  const data = makeAvatarData(model, albedo);
  const rand = seededRandom(7);
  for (let k = 0; k < data.identity.length; k++) data.identity[k] = (rand() * 2 - 1) * model.identityStd[k];
  for (let k = 0; k < data.expression.length; k++) data.expression[k] = rand() * 0.6;
  for (let k = 0; k < 27; k++) data.light[k] = rand() - 0.3;
  for (let k = 0; k < data.face.landmarks468.length; k++) data.face.landmarks468[k] = rand() * 500;
  for (let k = 0; k < data.fittedLandmarks68.length; k++) data.fittedLandmarks68[k] = rand() * 500;
  data.camera.rotation = Float64Array.from([0.9950041652780258, 0, 0.09983341664682815, 0, 1, 0, -0.09983341664682815, 0, 0.9950041652780258]);
  data.metrics = { landmarkErrorPx: 2.345678, landmarkErrorNormalized: 0.0312, coverage: 0.61 };
  data.pose = { yawDeg: 5.73, pitchDeg: -2.1, rollDeg: 0.4 };
  data.neutralVertices = decodeShape(model, data.identity, null);
  return data;
}

export /** Rewrites the header JSON of a valid file and fixes up lengths and CRC, to reach the field checks. */
function withHeader(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(12, true);
  const albedoLength = view.getUint32(16, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + headerLength)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(20 + json.length + albedoLength + 4);
  out.set(bytes.subarray(0, 20));
  const outView = new DataView(out.buffer);
  outView.setUint32(12, json.length, true);
  out.set(json, 20);
  out.set(bytes.subarray(20 + headerLength, 20 + headerLength + albedoLength), 20 + json.length);
  outView.setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}
