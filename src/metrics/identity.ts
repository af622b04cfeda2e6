/**
 * Identity similarity for fit-quality reports: cosine between face embeddings of the photo and of
 * the re-rendered avatar.
 *
 * The embedding is HSE FaceRes (1024-d, from human-models `faceres.json`, converted at build time to
 * assets/generated/face-embedding.onnx). Its weights were trained on VGGFace2, a research data set,
 * so it is used ONLY to measure results, never to create avatars. It is not ArcFace: report its
 * figure as "HSE FaceRes cosine", not as the CSIM of the literature.
 *
 * Preprocessing follows human (src/face/faceres.ts): a square crop of side 1.4 x the BlazeFace box,
 * rotated so the eye line is horizontal, resized bilinearly to 224x224, RGB 0..255. The crop is
 * placed by the photo's landmarks and used for photo and render alike, so both show the same frame.
 */
import { ASSET_FILES, loadAsset } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { createSession, ort } from '../inference/runtime.js';
import { METRIC_MODELS } from '../inference/tfjs-to-onnx/face-models.js';
import type { FaceObservation, Mask, RgbaImage } from '../types.js';

export const IDENTITY_MODEL_LABEL = 'HSE FaceRes cosine (1024-d, VGGFace2-trained, metrics only; not ArcFace CSIM)';

const SPEC = METRIC_MODELS.faceEmbedding;
const EMBEDDING_OUTPUT = SPEC.outputs[0].name;
/** Crop side over the BlazeFace box side, as in human's detector config (face.detector.scale). */
const CROP_SCALE = 1.4;
/** Background where a masked crop has no pixels: mid grey in 0..255. */
const GREY = 128;

/** Where and how large the face crop is in the photo (pixels, 0-based centres). */
export interface FaceCrop {
  centreX: number;
  centreY: number;
  side: number;
  /** Angle of the eye line in the image (radians, y down): the crop's x axis. */
  angle: number;
}

/** Crop placement from the face's landmarks: centred on the 468-point mesh, eye line horizontal. */
export function faceCropFor(face: FaceObservation): FaceCrop {
  const l68 = face.landmarks68;
  let rx = 0, ry = 0, lx = 0, ly = 0;
  for (let i = 36; i < 42; i++) { rx += l68[2 * i] / 6; ry += l68[2 * i + 1] / 6; }
  for (let i = 42; i < 48; i++) { lx += l68[2 * i] / 6; ly += l68[2 * i + 1] / 6; }
  const angle = Math.atan2(ly - ry, lx - rx);
  const cos = Math.cos(angle), sin = Math.sin(angle);
  // Bounding box of the mesh in the rotated frame; its centre is the crop centre.
  const mesh = face.landmarks468;
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  for (let i = 0; i < mesh.length; i += 3) {
    const u = cos * mesh[i] + sin * mesh[i + 1], v = -sin * mesh[i] + cos * mesh[i + 1];
    if (u < minU) minU = u; if (u > maxU) maxU = u;
    if (v < minV) minV = v; if (v > maxV) maxV = v;
  }
  const cu = (minU + maxU) / 2, cv = (minV + maxV) / 2;
  return {
    centreX: cos * cu - sin * cv,
    centreY: sin * cu + cos * cv,
    side: CROP_SCALE * Math.max(face.box.width, face.box.height),
    angle,
  };
}

/**
 * Samples the crop into an NCHW float tensor [1, 3, 224, 224] in the model's 0..255 range. Where
 * `mask` is given, pixels outside it (mask 0) count as grey, so only the masked region is compared.
 */
export function cropTensor(image: RgbaImage, crop: FaceCrop, mask?: Mask): Float32Array {
  const [h, w] = SPEC.inputSize;
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  const cos = Math.cos(crop.angle), sin = Math.sin(crop.angle);
  const step = crop.side / w;
  const { width, height, data } = image;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const su = (x + 0.5) * step - crop.side / 2, sv = (y + 0.5) * step - crop.side / 2;
      const px = crop.centreX + cos * su - sin * sv, py = crop.centreY + sin * su + cos * sv;
      const xc = Math.min(Math.max(px, 0), width - 1), yc = Math.min(Math.max(py, 0), height - 1);
      const x0 = Math.floor(xc), y0 = Math.floor(yc);
      const x1 = Math.min(x0 + 1, width - 1), y1 = Math.min(y0 + 1, height - 1);
      const fx = xc - x0, fy = yc - y0;
      const corners = [y0 * width + x0, y0 * width + x1, y1 * width + x0, y1 * width + x1];
      const weights = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy];
      const o = y * w + x;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) {
          const q = corners[k];
          s += weights[k] * (mask && mask.data[q] === 0 ? GREY : data[4 * q + c]);
        }
        out[c * plane + o] = s;
      }
    }
  }
  return out;
}

let session: Promise<ort.InferenceSession> | undefined;

function getSession(): Promise<ort.InferenceSession> {
  if (!session) {
    // wasm: one small network per report; a GPU round trip gains nothing here.
    session = loadAsset(ASSET_FILES.faceEmbedding).then((bytes) => createSession(bytes, { backend: 'wasm' })).then((s) => s.session);
    session.catch(() => { session = undefined; });
  }
  return session;
}

/**
 * Whether the embedding model is installed. It is trained on research data (VGGFace2), so the
 * published package leaves it out; a build from the repository has it. Other load errors propagate.
 */
export async function identityModelAvailable(): Promise<boolean> {
  try {
    await getSession();
    return true;
  } catch (error) {
    if (error instanceof PhotoAvatarError && error.code === 'MISSING_ASSET') return false;
    throw error;
  }
}

/** The 1024-d embedding of an NCHW crop tensor from `cropTensor`. */
export async function embedCrop(tensor: Float32Array): Promise<Float32Array> {
  const [h, w] = SPEC.inputSize;
  if (tensor.length !== 3 * h * w) throw new PhotoAvatarError('INVALID_ARGUMENT', `Face crop must hold 3x${h}x${w} values, got ${tensor.length}.`);
  const s = await getSession();
  const result = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', tensor, [1, 3, h, w]) });
  return Float32Array.from(result[EMBEDDING_OUTPUT].data as Float32Array);
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb || 1);
}

/** Embedding of the face crop of `image` (optionally masked, see cropTensor). */
export function embedFace(image: RgbaImage, crop: FaceCrop, mask?: Mask): Promise<Float32Array> {
  return embedCrop(cropTensor(image, crop, mask));
}
