/**
 * Tracked frames on a Babylon avatar: apply one frame live, or record frames into an
 * AnimationGroup (morph target influences, head and eye joint rotations) that plays like any
 * other, and matches the GLB animation of animation.ts key for key.
 */
import { Animation } from '@babylonjs/core/Animations/animation.js';
import { AnimationGroup } from '@babylonjs/core/Animations/animationGroup.js';
import { Quaternion } from '@babylonjs/core/Maths/math.vector.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import type { Avatar } from '../plugin/avatar.js';
import { PhotoAvatarError } from '../errors.js';
import { clipFromFrames, gazeToQuaternion, rotationToQuaternion } from './animation.js';
import type { TrackedFrame } from './face-tracker.js';

const scratch = new Float32Array(4);

function setRotation(node: TransformNode, q: Float32Array, offset: number): void {
  node.rotationQuaternion ??= new Quaternion();
  node.rotationQuaternion.set(q[offset], q[offset + 1], q[offset + 2], q[offset + 3]);
}

/**
 * Shows a tracked frame on the avatar: its morph weights, the head joint turned as the tracked
 * head (the avatar copies the person, as a puppet), and both eyes turned to the gaze.
 */
export function applyTrackedFrame(avatar: Avatar, frame: TrackedFrame): void {
  avatar.setExpressionCoefficients(frame.weights);
  rotationToQuaternion(frame.rotation, scratch, 0);
  setRotation(avatar.bones.head, scratch, 0);
  gazeToQuaternion(frame.gaze, scratch, 0);
  setRotation(avatar.bones.eyeLeft, scratch, 0);
  setRotation(avatar.bones.eyeRight, scratch, 0);
}

/** Collects tracked frames and turns them into a Babylon AnimationGroup. */
export class TrackingRecorder {
  private readonly frames: TrackedFrame[] = [];
  private readonly times: number[] = [];

  /** `fps`: the key rate of the animations (keys sit at time x fps). */
  constructor(private readonly avatar: Avatar, private readonly fps = 30) {}

  get frameCount(): number {
    return this.frames.length;
  }

  /** Adds a frame taken at `timeSeconds` (increasing). */
  add(frame: TrackedFrame, timeSeconds: number): void {
    if (this.times.length > 0 && !(timeSeconds > this.times[this.times.length - 1])) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Frame times must increase (got ${timeSeconds} after ${this.times[this.times.length - 1]}).`);
    }
    this.frames.push(frame);
    this.times.push(timeSeconds);
  }

  /** The recording as an AnimationGroup in the avatar's scene (times from the first frame). */
  toAnimationGroup(name = 'tracked'): AnimationGroup {
    const clip = clipFromFrames(this.frames, this.times.map((t) => t - this.times[0]), this.avatar.expressionNames);
    const group = new AnimationGroup(name, this.avatar.head.getScene());
    const keyFrame = (f: number) => clip.times[f] * this.fps;
    const E = clip.names.length;
    const manager = this.avatar.morphTargetManager;
    for (let k = 0; k < E; k++) {
      const animation = new Animation(`${name}.${clip.names[k]}`, 'influence', this.fps, Animation.ANIMATIONTYPE_FLOAT);
      animation.setKeys(Array.from(clip.times, (_, f) => ({ frame: keyFrame(f), value: clip.weights[f * E + k] })));
      group.addTargetedAnimation(animation, manager.getTarget(k));
    }
    const rotations = (values: Float32Array, label: string, nodes: TransformNode[]) => {
      const animation = new Animation(`${name}.${label}`, 'rotationQuaternion', this.fps, Animation.ANIMATIONTYPE_QUATERNION);
      animation.setKeys(Array.from(clip.times, (_, f) => ({ frame: keyFrame(f), value: new Quaternion(values[4 * f], values[4 * f + 1], values[4 * f + 2], values[4 * f + 3]) })));
      for (const node of nodes) {
        node.rotationQuaternion ??= Quaternion.Identity();
        group.addTargetedAnimation(animation, node);
      }
    };
    rotations(clip.head, 'head', [this.avatar.bones.head]);
    rotations(clip.eyes, 'eyes', [this.avatar.bones.eyeLeft, this.avatar.bones.eyeRight]);
    return group;
  }
}
