/**
 * BlazeFace (full-range, 256x256) output decoding, following MediaPipe's face_detection graph:
 * SSD anchors (strides 16 and 32 with 2 and 6 fixed-size anchors per cell, offset 0.5), regressors
 * in input pixels relative to the anchor centre, sigmoid scores, and weighted non-maximum
 * suppression (overlapping candidates are blended by score, which steadies boxes and keypoints).
 */

/** Keypoint order of BlazeFace detections (subject's right = image left for a frontal face). */
export const BLAZEFACE_KEYPOINTS = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEarTragion', 'leftEarTragion'] as const;

export interface RawDetection {
  /** Box centre and size, in detector input pixels (pixel-centre coordinates). */
  cx: number;
  cy: number;
  width: number;
  height: number;
  /** 6 keypoints xy interleaved, detector input pixels. */
  keypoints: Float32Array;
  score: number;
}

/** Anchor centres (x, y interleaved, input pixels) in the order of the model's outputs. */
export function blazeFaceAnchors(inputSize = 256, layers: [stride: number, perCell: number][] = [[16, 2], [32, 6]]): Float32Array {
  let count = 0;
  for (const [stride, perCell] of layers) count += (inputSize / stride) ** 2 * perCell;
  const anchors = new Float32Array(count * 2);
  let i = 0;
  for (const [stride, perCell] of layers) {
    const cells = inputSize / stride;
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++, i += 2) {
          anchors[i] = (x + 0.5) * stride;
          anchors[i + 1] = (y + 0.5) * stride;
        }
      }
    }
  }
  return anchors;
}

function sigmoid(logit: number): number {
  // MediaPipe clips logits to +-100 before the sigmoid.
  const clipped = logit < -100 ? -100 : logit > 100 ? 100 : logit;
  return 1 / (1 + Math.exp(-clipped));
}

/**
 * Candidates above `minScore` from concatenated scores [N] and regressors [N, 16]. Output
 * coordinates are continuous input pixels shifted by -0.5 to pixel-centre coordinates.
 */
export function decodeBlazeFace(scores: Float32Array, regressors: Float32Array, anchors: Float32Array, minScore: number): RawDetection[] {
  const found: RawDetection[] = [];
  const count = anchors.length / 2;
  for (let i = 0; i < count; i++) {
    const score = sigmoid(scores[i]);
    if (score < minScore) continue;
    const r = i * 16;
    const ax = anchors[2 * i] - 0.5, ay = anchors[2 * i + 1] - 0.5;
    const keypoints = new Float32Array(12);
    for (let k = 0; k < 6; k++) {
      keypoints[2 * k] = regressors[r + 4 + 2 * k] + ax;
      keypoints[2 * k + 1] = regressors[r + 5 + 2 * k] + ay;
    }
    found.push({ cx: regressors[r] + ax, cy: regressors[r + 1] + ay, width: regressors[r + 2], height: regressors[r + 3], keypoints, score });
  }
  return found;
}

export function boxIoU(a: RawDetection, b: RawDetection): number {
  const ix = Math.min(a.cx + a.width / 2, b.cx + b.width / 2) - Math.max(a.cx - a.width / 2, b.cx - b.width / 2);
  const iy = Math.min(a.cy + a.height / 2, b.cy + b.height / 2) - Math.max(a.cy - a.height / 2, b.cy - b.height / 2);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** MediaPipe's weighted NMS: each kept detection is the score-weighted mean of its overlapping cluster. */
export function weightedNms(candidates: RawDetection[], iouThreshold = 0.3): RawDetection[] {
  const remaining = [...candidates].sort((a, b) => b.score - a.score);
  const kept: RawDetection[] = [];
  while (remaining.length > 0) {
    const top = remaining[0];
    const cluster: RawDetection[] = [];
    const rest: RawDetection[] = [];
    for (const candidate of remaining) (boxIoU(top, candidate) > iouThreshold ? cluster : rest).push(candidate);
    let total = 0, cx = 0, cy = 0, width = 0, height = 0;
    const keypoints = new Float32Array(12);
    for (const member of cluster) {
      const w = member.score;
      total += w;
      cx += member.cx * w;
      cy += member.cy * w;
      width += member.width * w;
      height += member.height * w;
      for (let k = 0; k < 12; k++) keypoints[k] += member.keypoints[k] * w;
    }
    for (let k = 0; k < 12; k++) keypoints[k] /= total;
    kept.push({ cx: cx / total, cy: cy / total, width: width / total, height: height / total, keypoints, score: top.score });
    remaining.length = 0;
    remaining.push(...rest);
  }
  return kept;
}
