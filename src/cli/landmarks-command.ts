/** `photo-avatar landmarks`: every face's box, score, 68 and 468 landmarks in image pixels. */
import { PhotoAvatarError } from '../errors.js';
import { parseArgs, type FlagSpec } from './args.js';
import { decodePhotoFile } from './photo.js';
import { defaultSamplePhoto } from './files.js';
import { getFaceAnalyzer, loadDefaultHead } from '../pipeline.js';
import { fitFace } from '../fitting/fit-face.js';
import type { FaceAnalysisResult, FaceObservation } from '../types.js';
import { selectFace } from '../inference/face/analyzer.js';
import { describeFaces } from '../inference/face/face-choice.js';
import type { HeadModel } from '../modelpack/head-model.js';

export const LANDMARKS_FLAGS: Record<string, FlagSpec> = { json: { value: false } };

export const LANDMARKS_HELP = `photo-avatar landmarks [photo] [--json]
  Detects faces and prints each face's box, score, iBUG-68 and MediaPipe-468 landmarks
  (image pixels, 0-based pixel centres). --json prints machine-readable JSON.
  The 68 points come from the 3D head fitted to the 468 (its jaw follows the visible jaw line, as
  iBUG annotates it); landmarks68Detector holds the detector's own 68 (MediaPipe contour jaw).`;

/**
 * iBUG-68 from the default head fitted to the face: the mesh detector's jaw is a 3D contour, while
 * iBUG marks the visible jaw line, which the fitted head gives by landmark marching.
 */
async function fittedIbug68(model: HeadModel, face: FaceObservation, width: number, height: number): Promise<Float32Array | null> {
  try {
    return (await fitFace(model, face, { imageWidth: width, imageHeight: height })).landmarks68;
  } catch {
    return null; // e.g. beyond the fitting's pose range: the detector's points stand.
  }
}

const round2 = (values: ArrayLike<number>) => Array.from(values, (v) => Math.round(v * 100) / 100);

export async function runLandmarksCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, LANDMARKS_FLAGS);
  if (args.positional.length > 1) throw new PhotoAvatarError('INVALID_ARGUMENT', 'landmarks takes one photo.');
  const file = args.positional[0] ?? defaultSamplePhoto();
  const { image } = await decodePhotoFile(file);
  const analyzer = await getFaceAnalyzer();
  const result = await analyzer.analyze(image);
  const model = await loadDefaultHead();
  const faces = [];
  for (const face of result.faces) {
    const fitted = await fittedIbug68(model, face, image.width, image.height);
    faces.push({
      box: face.box,
      score: face.score,
      landmarks68: round2(fitted ?? face.landmarks68),
      landmarks68Source: fitted ? 'fitted-head' : 'detector',
      landmarks68Detector: round2(face.landmarks68),
      landmarks468: round2(face.landmarks468),
      iris: round2(face.iris),
    });
  }
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ file, width: image.width, height: image.height, backend: result.backend, faces })}\n`);
  } else {
    process.stdout.write(`${file}: ${image.width}x${image.height}, ${faces.length} face(s)\n`);
    // Where each face sits, and which one `create` takes without --face.
    const preferred = faces.length > 1 ? preferredFace(result) : -1;
    const labels = faces.length > 1
      ? new Map(describeFaces({ boxes: faces.map((face) => face.box), chosen: preferred, imageWidth: image.width, imageHeight: image.height }).map((face) => [face.index, face.label]))
      : undefined;
    faces.forEach((face, i) => {
      const b = face.box;
      const where = labels ? ` (${labels.get(i)}${i === preferred ? '; create takes it by default' : ''})` : '';
      process.stdout.write(`  face ${i}${where}: box x=${b.x.toFixed(0)} y=${b.y.toFixed(0)} ${b.width.toFixed(0)}x${b.height.toFixed(0)}, score ${face.score.toFixed(3)}\n`);
    });
  }
  return faces.length > 0 ? 0 : 1;
}

/** The face `create` takes without --face (selectFace's rule), or -1 where it takes none (every face too small). */
function preferredFace(result: FaceAnalysisResult): number {
  try {
    return result.faces.indexOf(selectFace(result));
  } catch {
    return -1;
  }
}
