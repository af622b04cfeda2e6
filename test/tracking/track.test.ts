/**
 * Face tracking end to end on synthetic truth: an avatar made from the package's sample photo is
 * rendered by the project's rasterizer with known expression, pose and gaze; the real face models
 * and the solver recover them, single-frame (trackFaceInImage) and through the CLI
 * (`photo-avatar track`), whose GLB animation is loaded back with @babylonjs/loaders.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
// Registers the animation paths (node weights and rotations); the full '@babylonjs/loaders' import includes it.
import '@babylonjs/loaders/glTF/2.0/glTFLoaderAnimation.js';
// scene.beginDirectAnimation, which the loader uses to start the group.
import '@babylonjs/core/Animations/animatable.js';
import { writeAvatarFile } from '../../src/avatar-file/format.js';
import { decodeImage } from '../../src/image/decode.js';
import { encodePng } from '../../src/image/encode.js';
import { createAvatarData } from '../../src/pipeline.js';
import { FaceTracker, trackFaceInImage } from '../../src/tracking/face-tracker.js';
import { applyTrackedFrame, TrackingRecorder } from '../../src/tracking/babylon-animation.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import type { AvatarData } from '../../src/types.js';
import { projectRoot } from '../helpers/shared-data.js';
import { seededRandom } from '../helpers/random.js';
import { DEFAULT_RANGES, interpolateTruth, randomLook, randomTruth, renderTruth, type TrackingTruth } from './synthetic-frames.js';

const size = { width: 480, height: 360 };
const camera = { focal: 1.2 * size.width, cx: (size.width - 1) / 2, cy: (size.height - 1) / 2 };
const ranges = { ...DEFAULT_RANGES, distance: 0.5 };

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'main.ts'), ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 240_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jawOpenTruth(data: AvatarData, random: () => number): TrackingTruth {
  const truth = randomTruth(data, random, ranges);
  truth.weights.fill(0);
  truth.weights[data.model.expressionNames.indexOf('jawOpen')] = 0.8;
  return truth;
}

describe('tracking: synthetic renders of an avatar', function () {
  let data: AvatarData;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'photo-avatar-track-'));

  before(async () => {
    const photo = decodeImage(new Uint8Array(readFileSync(path.join(projectRoot, 'assets', 'generated', 'sample-photo.jpg')))).image;
    data = await createAvatarData(photo, { textureSize: 256 });
  });

  it('trackFaceInImage recovers an open jaw, the head pose and the gaze of one frame', async () => {
    const random = seededRandom(7);
    const truth = jawOpenTruth(data, random);
    const frame = await trackFaceInImage(data, renderTruth(data, truth, camera, size, randomLook(data, random, 2), random));
    const jawOpen = frame.weights[data.model.expressionNames.indexOf('jawOpen')];
    assert.ok(jawOpen > 0.5 && jawOpen < 1, `jawOpen ${jawOpen.toFixed(2)} (truth 0.8)`);
    assert.ok(Math.abs(frame.pose.yawDeg - truth.yawDeg) < 5, `yaw ${frame.pose.yawDeg.toFixed(1)} vs ${truth.yawDeg.toFixed(1)}`);
    assert.ok(Math.abs(frame.pose.rollDeg - truth.rollDeg) < 3, `roll ${frame.pose.rollDeg.toFixed(1)} vs ${truth.rollDeg.toFixed(1)}`);
    assert.ok(Math.abs(frame.gaze.yawDeg - truth.gazeYawDeg) < 8, `gaze yaw ${frame.gaze.yawDeg.toFixed(1)} vs ${truth.gazeYawDeg.toFixed(1)}`);
    let active = 0;
    for (const w of frame.weights) if (w > 0.1) active++;
    assert.ok(active <= 12, `${active} targets above 0.1 for a one-target truth (sparsity)`);

    // On a Babylon avatar: the frame applied live, and recorded into an AnimationGroup.
    const scene = new Scene(new NullEngine());
    const avatar = buildAvatar(scene, data);
    applyTrackedFrame(avatar, frame);
    assert.ok(Math.abs(avatar.getExpression('jawOpen') - jawOpen) < 1e-6);
    const head = avatar.bones.head.rotationQuaternion!;
    const yawFromHead = (Math.atan2(2 * (head.w * head.y + head.x * head.z), 1 - 2 * (head.y * head.y + head.x * head.x)) * 180) / Math.PI;
    assert.ok(Math.abs(yawFromHead - frame.pose.yawDeg) < 1.5, `head joint yaw ${yawFromHead.toFixed(1)} vs tracked ${frame.pose.yawDeg.toFixed(1)}`);
    const recorder = new TrackingRecorder(avatar);
    recorder.add(frame, 0);
    recorder.add(frame, 1 / 30);
    const group = recorder.toAnimationGroup();
    assert.equal(group.targetedAnimations.length, data.model.expressionNames.length + 3);
    const jawKeys = group.targetedAnimations.find((t) => (t.target as { name?: string }).name === 'jawOpen')!.animation.getKeys();
    assert.ok(jawKeys.length === 2 && jawKeys[0].frame === 0 && Math.abs(jawKeys[1].frame - 1) < 1e-6, 'keys at frames 0 and 1 (30 fps)');
    assert.ok(Math.abs(jawKeys[1].value - jawOpen) < 1e-6);
    scene.dispose();
  });

  it('a clip with Iris on one eye every other frame: the skipped eyes are predicted near where Iris finds them; head rotation within 4 degrees (3.1 measured on this small face)', async () => {
    const random = seededRandom(21);
    const a = randomTruth(data, random, { ...ranges, sampling: 'realistic' }), b = randomTruth(data, random, { ...ranges, sampling: 'realistic' });
    const images = Array.from({ length: 10 }, (_, f) => ({ truth: interpolateTruth(a, b, f / 9), f })).map(({ truth, f }) => ({ truth, image: renderTruth(data, truth, camera, size, randomLook(data, seededRandom(100 + f), 2), random) }));
    const alternating = await FaceTracker.create(data, { smoothing: false });
    const both = await FaceTracker.create(data, { smoothing: false, alternateIris: false });
    let irisGap = 0, poseError = 0, predicted = 0;
    for (const [f, { truth, image }] of images.entries()) {
      const x = (await alternating.track(image, f / 30))!, y = (await both.track(image, f / 30))!;
      assert.ok(x && y, `frame ${f}: face found`);
      if (f > 1) {
        for (const offset of [0, 15]) irisGap += Math.hypot(x.face.iris[offset] - y.face.iris[offset], x.face.iris[offset + 1] - y.face.iris[offset + 1]) / 2;
        predicted++;
      }
      let trace = 0;
      for (let i = 0; i < 9; i++) trace += x.rotation[i] * truth.rotation[i];
      poseError += (Math.acos(Math.min(1, (trace - 1) / 2)) * 180) / Math.PI;
    }
    // A quarter of the iris entries are the same Iris run; the rest are predicted: the gap is the
    // prediction's. 0.62 px when this was written, 0.76 before the head's neck was lengthened and
    // 0.82 after; over clips drawn with seeds 21-25 it is 0.69-1.29 px per clip either way (means
    // 0.94 and 0.96), so a clip's figure moves by tenths of a pixel with any change to the render.
    assert.ok(irisGap / predicted < 1, `iris: alternating vs both eyes every frame, mean ${(irisGap / predicted).toFixed(2)} px`);
    // 3.2° while jawOpen was retargeted from the reference head, 4.1° since it is MakeHuman's
    // mouth-open unit: the same clip's renders show a rounder, wider-open mouth (the solve on exact
    // observations did not get worse: test/tracking/expression-solver.test.ts); 3.1° since FaceMesh
    // also reads each frame flipped (mirroredMesh).
    console.log(`      rotation error ${(poseError / images.length).toFixed(2)} deg; predicted irises ${(irisGap / predicted).toFixed(2)} px from where Iris finds them`);
    assert.ok(poseError / images.length < 4, `rotation error ${(poseError / images.length).toFixed(2)} deg`);
  });

  it("meshModel 'attention': one model gives the mesh and both irises (near the Iris model's), and the frame is recovered", async () => {
    const random = seededRandom(7);
    const truth = jawOpenTruth(data, random);
    const image = renderTruth(data, truth, camera, size, randomLook(data, random, 2), random);
    const withIris = await trackFaceInImage(data, image);
    const frame = await trackFaceInImage(data, image, { meshModel: 'attention' });
    assert.equal(frame.timings.iris < 0.5, true, `no Iris run (${frame.timings.iris.toFixed(2)} ms)`);
    const gaps = [0, 15].map((offset) => Math.hypot(frame.face.iris[offset] - withIris.face.iris[offset], frame.face.iris[offset + 1] - withIris.face.iris[offset + 1]));
    const eyeSpan = Math.hypot(frame.face.landmarks468[3 * 263] - frame.face.landmarks468[3 * 33], frame.face.landmarks468[3 * 263 + 1] - frame.face.landmarks468[3 * 33 + 1]);
    console.log(`      iris centres, attention vs Iris model: ${gaps.map((g) => g.toFixed(2)).join(', ')} px (eye corners ${eyeSpan.toFixed(0)} px apart)`);
    assert.ok(gaps.every((g) => g < 0.05 * eyeSpan), 'each attention iris centre within 5% of the eye span of the Iris model\'s');
    const jawOpen = frame.weights[data.model.expressionNames.indexOf('jawOpen')];
    assert.ok(jawOpen > 0.5 && jawOpen < 1, `jawOpen ${jawOpen.toFixed(2)} (truth 0.8)`);
    assert.ok(Math.abs(frame.pose.yawDeg - truth.yawDeg) < 5, `yaw ${frame.pose.yawDeg.toFixed(1)} vs ${truth.yawDeg.toFixed(1)}`);
    assert.ok(Math.abs(frame.gaze.yawDeg - truth.gazeYawDeg) < 8, `gaze yaw ${frame.gaze.yawDeg.toFixed(1)} vs ${truth.gazeYawDeg.toFixed(1)}`);
  });

  it('photo-avatar track writes a GLB animation and per-frame JSON weights that follow the frames', async () => {
    const frames = path.join(tmp, 'frames');
    mkdirSync(frames);
    const avatarFile = path.join(tmp, 'me.avatar');
    writeFileSync(avatarFile, writeAvatarFile(data));
    const random = seededRandom(11);
    const start = jawOpenTruth(data, random);
    const end = randomTruth(data, random, ranges);
    end.weights.fill(0);
    const truths: TrackingTruth[] = [];
    for (let f = 0; f < 8; f++) {
      const truth = interpolateTruth(start, end, f / 7);
      truths.push(truth);
      writeFileSync(path.join(frames, `frame-${f + 1}.png`), encodePng(renderTruth(data, truth, camera, size, randomLook(data, seededRandom(f), 2), random)));
    }
    const glbFile = path.join(tmp, 'anim.glb');
    const jsonFile = path.join(tmp, 'weights.json');
    const run = cli('track', frames, '--avatar', avatarFile, '-o', glbFile, '--json', jsonFile, '--no-smoothing', '-q');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^8 frames, face in 8; [\d.]+ ms per frame/);
    const json = JSON.parse(readFileSync(jsonFile, 'utf8'));
    assert.equal(json.frames.length, 8);
    const jaw = json.frames.map((frame: { weights: Record<string, number> }) => frame.weights.jawOpen);
    assert.ok(jaw[0] > 0.5 && jaw[7] < 0.25, `jawOpen should close over the clip: ${jaw.map((v: number) => v.toFixed(2)).join(' ')}`);
    json.frames.forEach((frame: { pose: { yawDeg: number } }, f: number) => {
      assert.ok(Math.abs(frame.pose.yawDeg - truths[f].yawDeg) < 5, `frame ${f}: yaw ${frame.pose.yawDeg} vs ${truths[f].yawDeg}`);
    });

    const scene = new Scene(new NullEngine());
    const container = await LoadAssetContainerAsync(new Uint8Array(readFileSync(glbFile)), scene, { pluginExtension: '.glb' });
    const group = container.animationGroups.find((g) => g.name === 'tracked');
    assert.ok(group, `animation groups: ${container.animationGroups.map((g) => g.name).join(', ')}`);
    const animated = new Set(group.targetedAnimations.map((t) => t.animation.targetProperty));
    assert.ok(animated.has('influence') && animated.has('rotationQuaternion'), [...animated].join(', '));
    const jawTrack = group.targetedAnimations.find((t) => (t.target as { name?: string }).name === 'jawOpen');
    assert.ok(jawTrack, 'a jawOpen influence track');
    const keys = jawTrack.animation.getKeys();
    assert.equal(keys.length, 8);
    assert.ok(Math.abs(keys[0].value - jaw[0]) < 1e-3 && Math.abs(keys[7].value - jaw[7]) < 1e-3, 'GLB weights equal the JSON weights');
    scene.dispose();
  });

  it('photo-avatar track refuses a folder without frames, a missing --avatar and an unknown --mesh', () => {
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    const noFrames = cli('track', empty, '--avatar', path.join(tmp, 'me.avatar'), '-o', path.join(tmp, 'x.glb'));
    assert.equal(noFrames.status, 1);
    assert.match(noFrames.stderr, /has no \.png or \.jpg frames/);
    const noAvatar = cli('track', empty, '-o', path.join(tmp, 'x.glb'));
    assert.equal(noAvatar.status, 2);
    assert.match(noAvatar.stderr, /needs --avatar/);
    const badMesh = cli('track', empty, '--avatar', path.join(tmp, 'me.avatar'), '-o', path.join(tmp, 'x.glb'), '--mesh', 'iris');
    assert.equal(badMesh.status, 2);
    assert.match(badMesh.stderr, /--mesh must be one of faceMesh, attention, attentionIris/);
  });
});
