/**
 * selectFace's rule on a real group photo (face-api demo/sample5.jpg, MIT, a devDependency): a
 * frontal, large, confident face, and a choice that small numeric differences between runtimes
 * (Node vs browser WASM threads) cannot flip.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { decodeImage } from '../../src/image/decode.js';
import { FaceAnalyzer, selectFace } from '../../src/inference/face/analyzer.js';
import { describeFaces } from '../../src/inference/face/face-choice.js';
import type { FaceAnalysisResult, FaceObservation, RgbaImage } from '../../src/types.js';
import { seededRandom } from '../helpers/random.js';

function demoPhoto(name: string): string | undefined {
  try {
    const file = path.join(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo', name);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Nose-tip position between the outer eye corners, as selectFace measures it (0.5 = frontal). */
function noseAlongEyes(face: FaceObservation): number {
  const m = face.landmarks468;
  const ex = m[3 * 263] - m[3 * 33], ey = m[3 * 263 + 1] - m[3 * 33 + 1];
  return ((m[3] - m[3 * 33]) * ex + (m[4] - m[3 * 33 + 1]) * ey) / (ex * ex + ey * ey);
}

function jittered(result: FaceAnalysisResult, random: () => number): FaceAnalysisResult {
  const wiggle = (value: number, amount: number) => value * (1 + (random() * 2 - 1) * amount);
  return {
    ...result,
    faces: result.faces.map((face) => ({
      ...face,
      score: wiggle(face.score, 0.01),
      box: { ...face.box, width: wiggle(face.box.width, 0.005), height: wiggle(face.box.height, 0.005) },
      landmarks468: face.landmarks468.map((v) => v + (random() * 2 - 1) * 0.5),
    })),
  };
}

describe('selectFace: which face of a group photo', function () {
  const file = demoPhoto('sample5.jpg');
  let result: FaceAnalysisResult;
  let analyzer: FaceAnalyzer;
  let image: RgbaImage;

  before(async function () {
    if (!file) {
      console.log('      skipped: @vladmandic/face-api demo photos are not installed (devDependency)');
      this.skip();
    }
    analyzer = await FaceAnalyzer.create({ backend: 'wasm' });
    image = decodeImage(readFileSync(file!)).image;
    result = await analyzer.analyze(image);
  });

  it('chooses the same face without the irises, and withIris then gives it the irises analyze would have', async () => {
    // createAvatarData runs Iris on the chosen face alone.
    const timings: Record<string, number> = {};
    const withoutIris = await analyzer.analyze(image, { irisEyes: 'none' });
    assert.equal(withoutIris.faces.length, result.faces.length);
    assert.ok(withoutIris.faces.every((face) => face.iris.every(Number.isNaN)), 'no Iris runs');
    const index = withoutIris.faces.indexOf(selectFace(withoutIris));
    assert.equal(index, result.faces.indexOf(selectFace(result)));
    const face = await analyzer.withIris(image, withoutIris.faces[index], timings);
    assert.deepEqual(face.iris, result.faces[index].iris);
    assert.deepEqual(face.landmarks468, result.faces[index].landmarks468);
    assert.ok(timings.iris > 0 && face.iris.every(Number.isFinite));
    console.log(`      ${result.faces.length} faces: Iris ran on 1 (${timings.iris.toFixed(0)} ms) instead of ${result.faces.length} (${result.timings.iris.toFixed(0)} ms)`);
  });

  it('prefers a frontal face over a larger turned one', () => {
    assert.ok(result.faces.length >= 3, `expected a group, found ${result.faces.length} faces`);
    const chosen = selectFace(result);
    const largest = result.faces[0];
    const offCentre = (face: FaceObservation) => Math.abs(noseAlongEyes(face) - 0.5);
    console.log(`      ${result.faces.length} faces; chosen: box side ${chosen.box.width.toFixed(0)} px, nose off-centre ${offCentre(chosen).toFixed(3)}; ` +
      `largest: ${largest.box.width.toFixed(0)} px, ${offCentre(largest).toFixed(3)}`);
    assert.ok(offCentre(chosen) < 0.1, 'the chosen face looks at the camera');
    assert.ok(offCentre(largest) > offCentre(chosen) + 0.1, 'the largest face is turned further (the photo exercises the rule)');
    assert.ok(chosen.box.width >= 0.8 * largest.box.width, 'and is not much smaller than the largest');
  });

  it('gives the same face under small numeric differences, and faceIndex overrides it', () => {
    const chosen = result.faces.indexOf(selectFace(result));
    const random = seededRandom(12);
    for (let trial = 0; trial < 200; trial++) {
      const noisy = jittered(result, random);
      assert.equal(noisy.faces.indexOf(selectFace(noisy)), chosen, `trial ${trial} picked another face`);
    }
    for (let i = 0; i < result.faces.length; i++) assert.equal(selectFace(result, { faceIndex: i }), result.faces[i]);
  });

  it('never picks a profile face, however large and confident', () => {
    const profile = structuredClone(result.faces[result.faces.length - 1]);
    // Move the nose tip onto the right eye's outer corner: a face seen from the side.
    profile.landmarks468[3] = profile.landmarks468[3 * 33];
    profile.landmarks468[4] = profile.landmarks468[3 * 33 + 1];
    profile.box = { ...profile.box, width: profile.box.width * 1.5, height: profile.box.height * 1.5 };
    profile.score = 0.99;
    const withProfile: FaceAnalysisResult = { ...result, faces: [profile, ...result.faces] };
    assert.notEqual(selectFace(withProfile), profile);
  });
});

describe('describeFaces (pure): names for a group photo\'s faces', () => {
  const box = (x: number, side: number) => ({ x, y: 100, width: side, height: side });
  const faces = (xs: number[], sides: number[], chosen: number) => ({ boxes: xs.map((x, i) => box(x, sides[i])), chosen, imageWidth: 2000, imageHeight: 1000 });
  const named = (f: ReturnType<typeof faces>) => describeFaces(f).map((face) => `${face.index}:${face.label}${face.chosen ? '*' : ''}`);
  it('orders them left to right by their boxes\' centres, marks the largest and the chosen', () => {
    // The detector's order (largest first) is not the photo's: the largest face sits in the middle.
    assert.deepEqual(named(faces([900, 100, 1500], [300, 200, 150], 1)), ['1:left*', '0:middle, largest', '2:right']);
    assert.deepEqual(named(faces([1200, 100], [200, 250], 0)), ['1:left, largest', '0:right*']);
    assert.deepEqual(named(faces([10], [200], 0)), ['0:the only face*']);
  });
  it('counts from the left beyond three faces', () => {
    assert.deepEqual(named(faces([0, 200, 400, 600, 800], [50, 60, 70, 80, 90], 2)),
      ['0:leftmost', '1:2nd from left', '2:3rd from left*', '3:4th from left', '4:rightmost, largest']);
  });
});
