// babylon-photo-avatar in Node: photo -> avatar in a Babylon NullEngine scene -> GLB file.
//   node create-glb.js [photo.jpg] [out.glb]     (defaults: the package's sample photo, avatar.glb)
// The `node` export condition picks the package's Node entry, which reads the models and the
// default head from the installed package: nothing to serve, nothing to configure.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { createAvatarFromPhoto, decodePhoto, nodeAssetDir } from 'babylon-photo-avatar';

const photoFile = process.argv[2] ?? path.join(nodeAssetDir(), 'sample-photo.jpg');
const outFile = process.argv[3] ?? 'avatar.glb';

const started = performance.now();
const { image } = await decodePhoto(await readFile(photoFile));
const scene = new Scene(new NullEngine());
const avatar = await createAvatarFromPhoto(scene, image, {
  onProgress: ({ stage, progress }) => { if (progress === 0) console.log(`  ${stage}`); },
});
const glb = avatar.exportGLB();
await writeFile(outFile, glb);

// Check what was written: a glTF 2.0 binary with a skinned head and named morph targets.
const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
const magic = new TextDecoder().decode(glb.subarray(0, 4));
const jsonLength = view.getUint32(12, true);
const gltf = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength)));
const head = gltf.meshes.find((mesh) => mesh.primitives[0].targets?.length);
const problems = [
  magic !== 'glTF' && `magic is "${magic}"`,
  view.getUint32(4, true) !== 2 && 'glTF version is not 2',
  view.getUint32(8, true) !== glb.byteLength && 'the header length does not match the file',
  !head && 'no mesh with morph targets',
  head && head.extras?.targetNames?.length !== head.primitives[0].targets.length && 'morph target names missing',
  !gltf.skins?.length && 'no skin',
].filter(Boolean);
if (problems.length) {
  console.error(`${outFile}: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`${outFile}: ${(glb.byteLength / 1024).toFixed(0)} KiB, ${gltf.meshes.length} meshes, ${head.primitives[0].targets.length} morph targets, ` +
  `${gltf.skins[0].joints.length} joints; backend ${avatar.data.backend}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
