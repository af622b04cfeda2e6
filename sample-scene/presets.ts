/**
 * Expression presets in ARKit blendshape names, so they drive any model pack whose targets follow
 * ARKit's (or MediaPipe's) naming through Avatar.applyARKitBlendshapes. Each pose starts from a
 * neutral face; 'reset' goes back to the expression fitted to the photo.
 */
import type { Avatar } from '../src/plugin/avatar.js';

const POSES = {
  smile: {
    mouthSmileLeft: 1, mouthSmileRight: 1, cheekSquintLeft: 0.45, cheekSquintRight: 0.45,
    eyeSquintLeft: 0.25, eyeSquintRight: 0.25, mouthDimpleLeft: 0.3, mouthDimpleRight: 0.3,
  },
  surprise: {
    browInnerUp: 0.9, browOuterUpLeft: 0.8, browOuterUpRight: 0.8, eyeWideLeft: 0.8, eyeWideRight: 0.8,
    jawOpen: 0.45, mouthFunnel: 0.2,
  },
  blink: { eyeBlinkLeft: 1, eyeBlinkRight: 1 },
} as const satisfies Record<string, Record<string, number>>;

export type PresetName = keyof typeof POSES | 'reset';

export const PRESET_NAMES: readonly PresetName[] = ['smile', 'surprise', 'blink', 'reset'];

export function isPresetName(value: unknown): value is PresetName {
  return PRESET_NAMES.includes(value as PresetName);
}

/** Applies a preset; returns how many morph targets it set (0: the model has none of its ARKit names). */
export function applyPreset(avatar: Avatar, name: PresetName): number {
  if (name === 'reset') {
    avatar.resetExpression();
    return avatar.expressionNames.length;
  }
  avatar.setExpressionCoefficients(new Float32Array(avatar.expressionNames.length));
  return avatar.applyARKitBlendshapes(POSES[name]);
}
