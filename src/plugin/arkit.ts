/**
 * Face-tracking blendshape names -> morph target names. ARKit and MediaPipe's face landmarker say
 * 'eyeBlinkLeft', 'mouthSmileRight', 'jawOpen'; model packs may say 'eyeBlink_L', 'mouthSmile_R'
 * or 'EyeBlink_Left'. Both sides are reduced to one key: lower case, separators dropped, and a
 * trailing left/right (or l/r after a separator) turned into 'l'/'r'.
 */

/** The key under which a blendshape name from either convention is matched. */
export function blendshapeKey(name: string): string {
  let key = name.trim();
  // '_L' / '-R' / '.left' suffixes: only when a separator precedes them ('jawL' is not ARKit).
  key = key.replace(/[_\-. ](l|left)$/i, 'Left').replace(/[_\-. ](r|right)$/i, 'Right');
  key = key.toLowerCase().replace(/[_\-. ]/g, '');
  if (key.endsWith('left')) key = `${key.slice(0, -4)}l`;
  else if (key.endsWith('right')) key = `${key.slice(0, -5)}r`;
  return key;
}

/** A MediaPipe FaceLandmarker category (faceBlendshapes[i].categories[j]). */
export interface BlendshapeCategory {
  categoryName: string;
  score: number;
}

export type BlendshapeInput = Record<string, number> | readonly BlendshapeCategory[];

/** Flattens either input form to [name, weight] pairs. */
export function blendshapeEntries(input: BlendshapeInput): [string, number][] {
  if (Array.isArray(input)) return (input as readonly BlendshapeCategory[]).map((c) => [c.categoryName, c.score]);
  return Object.entries(input as Record<string, number>);
}
