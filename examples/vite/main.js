// babylon-photo-avatar in a Vite app: WebGL2 engine, WASM inference. Open with ?photo=<url> or pick a photo.
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Color4 } from '@babylonjs/core/Maths/math.color.js';
import { configureRuntime, createAvatarFromPhoto, runtimeInfo, setAssetBaseUrl } from 'babylon-photo-avatar';

// `npm run build` copied the package's assets (models, head, onnxruntime-web's WASM) to public/photo-avatar/.
setAssetBaseUrl(new URL('photo-avatar/', location.href).href);
// WASM inference; threads come on by themselves on a cross-origin isolated page (COOP/COEP headers).
configureRuntime({ backend: 'wasm' });

const status = document.getElementById('status');
const say = (text) => { status.textContent = text; };
const engine = new Engine(document.getElementById('scene'), true, { preserveDrawingBuffer: true });
const scene = new Scene(engine);
scene.clearColor = new Color4(0.1, 0.1, 0.12, 1);
const camera = new ArcRotateCamera('camera', Math.PI / 2, Math.PI / 2, 0.6, Vector3.Zero(), scene);
camera.minZ = 0.01; // the head is about 0.25 m across: the default near plane (1 m) would clip it
camera.attachControl(true);
new HemisphericLight('sky', new Vector3(0, 1, 0.4), scene);
engine.runRenderLoop(() => scene.render());

async function show(photo) {
  document.body.dataset.state = 'working';
  say('Creating the avatar...');
  const avatar = await createAvatarFromPhoto(scene, photo, { onProgress: ({ stage }) => say(`Creating the avatar: ${stage}`) });
  // Frame the head from the front: model space puts +Z out of the face.
  const { min, max } = avatar.head.getHierarchyBoundingVectors(true);
  const centre = min.add(max).scaleInPlace(0.5);
  const forward = Vector3.TransformNormal(new Vector3(0, 0, 1), avatar.modelSpace.computeWorldMatrix(true)).normalize();
  camera.setTarget(centre);
  camera.setPosition(centre.add(forward.scale(Math.max(max.x - min.x, max.y - min.y) * 1.6)));
  await scene.whenReadyAsync();
  await new Promise((resolve) => scene.onAfterRenderObservable.addOnce(resolve));
  const { threads, threadNote, wasmBuild } = runtimeInfo();
  window.__result = { msToAvatar: performance.now(), backend: avatar.data.backend, wasmBuild, threads, threadNote };
  say(`Avatar ready after ${(performance.now() / 1000).toFixed(1)} s (${avatar.data.backend}, ${threadNote}).`);
  document.body.dataset.state = 'ready';
  latest = avatar;
  document.getElementById('save').disabled = false;
}

// The compact GLB (meshopt, WebP, three levels of detail) is written in the library's worker: the page keeps drawing.
let latest = null;
async function save() {
  const started = performance.now();
  const glb = await latest.exportCompactGLB();
  window.__saved = { bytes: glb.byteLength, ms: performance.now() - started };
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([glb], { type: 'model/gltf-binary' }));
  link.download = 'avatar.glb';
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  say(`Saved avatar.glb (${(glb.byteLength / 1024).toFixed(0)} KiB).`);
}

function fail(error) {
  console.error(error);
  say(`Failed: ${error.message}`);
  document.body.dataset.state = 'error';
}

document.getElementById('photo').addEventListener('change', (event) => {
  const file = event.target.files?.[0];
  if (file) show(file).catch(fail);
});
document.getElementById('save').addEventListener('click', () => save().catch(fail));
const photoUrl = new URLSearchParams(location.search).get('photo');
if (photoUrl) fetch(photoUrl).then((r) => r.blob()).then(show).catch(fail);
else document.body.dataset.state = 'idle';
