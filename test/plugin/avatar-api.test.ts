import assert from 'node:assert/strict';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { BaseTexture } from '@babylonjs/core/Materials/Textures/baseTexture.js';
import { Scene } from '@babylonjs/core/scene.js';
import { readAvatarFile } from '../../src/avatar-file/format.js';
import { PhotoAvatarError } from '../../src/errors.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { blendshapeKey } from '../../src/plugin/arkit.js';
import type { Avatar } from '../../src/plugin/avatar.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import type { EnvironmentPreset } from '../../src/plugin/environments.js';
import { richAvatarData, testModel } from '../avatar-file/fixtures.js';
import { syntheticAlbedo } from '../export/synthetic-avatar.js';

function glbJson(glb: Uint8Array): any {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  assert.equal(view.getUint32(0, true), 0x46546c67);
  return JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + view.getUint32(12, true))));
}

describe('plugin/avatar API additions (NullEngine)', function () {
  let engine: NullEngine;
  let scene: Scene;
  let model: HeadModel;
  let source = '';
  let avatar: Avatar;

  before(async function () {
    ({ model, source } = await testModel());
  });

  beforeEach(function () {
    engine = new NullEngine();
    scene = new Scene(engine);
    avatar = buildAvatar(scene, richAvatarData(model, syntheticAlbedo(128)));
  });

  afterEach(function () {
    avatar.dispose();
    scene.dispose();
    engine.dispose();
  });

  it('matches blendshape names across the ARKit and pack conventions', function () {
    assert.equal(blendshapeKey('eyeBlinkLeft'), blendshapeKey('eyeBlink_L'));
    assert.equal(blendshapeKey('mouthSmileRight'), blendshapeKey('mouthSmile_R'));
    assert.equal(blendshapeKey('EyeBlink_Left'), blendshapeKey('eyeblinkleft'));
    assert.equal(blendshapeKey('JAWOPEN'), blendshapeKey('jawOpen'));
    assert.equal(blendshapeKey('jawLeft'), blendshapeKey('jawLeft'));
    assert.notEqual(blendshapeKey('eyeBlinkLeft'), blendshapeKey('eyeBlinkRight'));
    assert.notEqual(blendshapeKey('mouthLeft'), blendshapeKey('mouthRight'));
  });

  it('applyARKitBlendshapes drives the morph targets from ARKit records and MediaPipe categories', function () {
    const names = avatar.expressionNames;
    const blink = names.find((n) => /^eyeBlink_?L/i.test(n)) ?? names[0];
    const jaw = names.find((n) => /^jawOpen$/i.test(n)) ?? names[1];
    const before = avatar.coefficients.expression;
    // ARKit spelling for the blink, upper case for the jaw, MediaPipe's '_neutral' that no pack has.
    const arkitBlink = blink.replace(/_L$/, 'Left').replace(/_R$/, 'Right');
    const applied = avatar.applyARKitBlendshapes({ [arkitBlink]: 0.8, [jaw.toUpperCase()]: 0.55, _neutral: 0.9 });
    assert.equal(applied, 2);
    assert.equal(avatar.getExpression(blink), 0.8);
    assert.ok(Math.abs(avatar.getExpression(jaw) - 0.55) < 1e-7);
    const categories = names.map((name, i) => ({ categoryName: name.replace(/_L$/, 'Left').replace(/_R$/, 'Right'), score: (i % 10) / 10 }));
    categories.unshift({ categoryName: '_neutral', score: 0.2 });
    const count = avatar.applyARKitBlendshapes(categories);
    assert.equal(count, names.length);
    const after = avatar.coefficients.expression;
    let changed = 0;
    for (let i = 0; i < names.length; i++) {
      assert.ok(Math.abs(after[i] - (i % 10) / 10) < 1e-7, names[i]);
      if (after[i] !== before[i]) changed++;
    }
    console.log(`    ${source}: '${arkitBlink}' drove '${blink}'; ${count}/${names.length} targets set from MediaPipe-style categories (${changed} changed)`);
    assert.throws(() => avatar.applyARKitBlendshapes({ jawOpen: Number.NaN }), (e: unknown) => e instanceof PhotoAvatarError && e.code === 'INVALID_ARGUMENT');
  });

  it('coefficients include the light and the albedo', function () {
    const c = avatar.coefficients;
    assert.equal(c.identity.length, model.identityCount);
    assert.equal(c.expression.length, model.expressionNames.length);
    assert.equal(c.light.length, 27);
    assert.equal(c.albedo.width, 128);
  });

  it('serialize() and exportGLB() write the current expression and material', async function () {
    const jaw = avatar.expressionNames.find((n) => /^jawOpen$/i.test(n)) ?? avatar.expressionNames[0];
    avatar.setExpression(jaw, 0.9);
    avatar.material.roughness = 0.61;
    const bytes = avatar.serialize();
    const back = await readAvatarFile(bytes, async () => model);
    assert.equal(back.expression[avatar.expressionNames.indexOf(jaw)], Math.fround(0.9));
    assert.deepEqual(back.identity, avatar.data.identity);
    const glb = avatar.exportGLB();
    const json = glbJson(glb);
    assert.ok(Math.abs(json.meshes[0].weights[avatar.expressionNames.indexOf(jaw)] - 0.9) < 1e-6);
    console.log(`    ${source}: serialize() ${(bytes.length / 1024).toFixed(1)} KiB, exportGLB() ${(glb.length / 1024).toFixed(1)} KiB (128² albedo)`);
  });

  it('relight() switches between procedural environments and custom textures', function () {
    const figures: string[] = [];
    const irradianceUp: Record<string, number> = {};
    let previous: BaseTexture | null = null;
    for (const preset of ['studio', 'outdoor', 'indoor'] as EnvironmentPreset[]) {
      avatar.relight(preset);
      const texture = scene.environmentTexture as BaseTexture;
      assert.ok(texture?.isCube, preset);
      const p = texture.sphericalPolynomial;
      assert.ok(p, `${preset} has its spherical polynomial without GPU readback`);
      if (previous) assert.equal(previous.getInternalTexture(), null, 'the previous generated environment is disposed');
      previous = texture;
      // Irradiance polynomial evaluated at a normal: E(n) = x nx + y ny + z nz + xx nx² + yy ny² + zz nz² + ...
      const up = (p.y.x + p.y.y + p.y.z + p.yy.x + p.yy.y + p.yy.z) / 3;
      const front = (p.z.x + p.z.y + p.z.z + p.zz.x + p.zz.y + p.zz.z) / 3;
      const down = (-p.y.x - p.y.y - p.y.z + p.yy.x + p.yy.y + p.yy.z) / 3;
      irradianceUp[preset] = up * scene.environmentIntensity;
      figures.push(`${preset}: intensity ${scene.environmentIntensity}, irradiance up ${up.toFixed(2)} / front ${front.toFixed(2)} / down ${down.toFixed(2)}`);
      assert.ok(up > down, `${preset}: brighter from above than from the floor`);
    }
    console.log(`    ${figures.join('; ')}`);
    assert.ok(irradianceUp.outdoor > irradianceUp.indoor, 'daylight beats the dim room');
    const custom = new BaseTexture(scene);
    avatar.relight(custom);
    assert.equal(scene.environmentTexture, custom);
    assert.equal(previous!.getInternalTexture(), null);
    assert.throws(() => avatar.relight('moon' as EnvironmentPreset), PhotoAvatarError);
    avatar.relight('studio');
    avatar.dispose();
    assert.equal(scene.environmentTexture, null, 'dispose removes the environment the avatar generated');
    assert.ok(scene.textures.includes(custom), 'textures passed in are not the avatar\'s to dispose');
    custom.dispose();
  });
});
