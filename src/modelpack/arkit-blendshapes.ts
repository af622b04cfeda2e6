/** ARKit's 52 expression blendshapes (ARFaceAnchor raw names; _L = subject's left = +X), in the packs' order. */
export const ARKIT_BLENDSHAPES = [
  'eyeBlink_L', 'eyeLookDown_L', 'eyeLookIn_L', 'eyeLookOut_L', 'eyeLookUp_L', 'eyeSquint_L', 'eyeWide_L',
  'eyeBlink_R', 'eyeLookDown_R', 'eyeLookIn_R', 'eyeLookOut_R', 'eyeLookUp_R', 'eyeSquint_R', 'eyeWide_R',
  'jawForward', 'jawLeft', 'jawRight', 'jawOpen',
  'mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthLeft', 'mouthRight',
  'mouthSmile_L', 'mouthSmile_R', 'mouthFrown_L', 'mouthFrown_R', 'mouthDimple_L', 'mouthDimple_R',
  'mouthStretch_L', 'mouthStretch_R', 'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper',
  'mouthPress_L', 'mouthPress_R', 'mouthLowerDown_L', 'mouthLowerDown_R', 'mouthUpperUp_L', 'mouthUpperUp_R',
  'browDown_L', 'browDown_R', 'browInnerUp', 'browOuterUp_L', 'browOuterUp_R',
  'cheekPuff', 'cheekSquint_L', 'cheekSquint_R', 'noseSneer_L', 'noseSneer_R', 'tongueOut',
] as const;
