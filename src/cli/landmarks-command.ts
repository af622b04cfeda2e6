/** `photo-avatar landmarks`: every face's box, score, 68 and 468 landmarks in image pixels. */
import { PhotoAvatarError } from '../errors.js';
import { parseArgs, type FlagSpec } from './args.js';
import { decodePhotoFile } from './photo.js';
import { defaultSamplePhoto } from './files.js';
import { getFaceAnalyzer } from '../pipeline.js';

export const LANDMARKS_FLAGS: Record<string, FlagSpec> = { json: { value: false } };

export const LANDMARKS_HELP = `photo-avatar landmarks [photo] [--json]
  Detects faces and prints each face's box, score, iBUG-68 and MediaPipe-468 landmarks
  (image pixels, 0-based pixel centres). --json prints machine-readable JSON.`;

const round2 = (values: ArrayLike<number>) => Array.from(values, (v) => Math.round(v * 100) / 100);

export async function runLandmarksCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, LANDMARKS_FLAGS);
  if (args.positional.length > 1) throw new PhotoAvatarError('INVALID_ARGUMENT', 'landmarks takes one photo.');
  const file = args.positional[0] ?? defaultSamplePhoto();
  const { image } = await decodePhotoFile(file);
  const analyzer = await getFaceAnalyzer();
  const result = await analyzer.analyze(image);
  const faces = result.faces.map((face) => ({
    box: face.box,
    score: face.score,
    landmarks68: round2(face.landmarks68),
    landmarks468: round2(face.landmarks468),
    iris: round2(face.iris),
  }));
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ file, width: image.width, height: image.height, backend: result.backend, faces })}\n`);
  } else {
    process.stdout.write(`${file}: ${image.width}x${image.height}, ${faces.length} face(s)\n`);
    faces.forEach((face, i) => {
      const b = face.box;
      process.stdout.write(`  face ${i}: box x=${b.x.toFixed(0)} y=${b.y.toFixed(0)} ${b.width.toFixed(0)}x${b.height.toFixed(0)}, score ${face.score.toFixed(3)}\n`);
    });
  }
  return faces.length > 0 ? 0 : 1;
}
