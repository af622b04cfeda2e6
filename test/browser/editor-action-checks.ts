/**
 * Checks of the CreateAvatarAction panel and the sample scene's extras (environments, presets,
 * downloads, Accept), run by sample-scene.test.ts on its WebGL2 page so they reuse the avatar it
 * already paid for (creation costs 30 s to minutes on SwiftShader).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { projectRoot } from '../helpers/shared-data.js';
import { canvasPixels, changedFraction, meanColour, meanRgb, roundBox } from './canvas-pixels.js';
import { readAvatarFileContents } from '../../src/avatar-file/format.js';
import { readPack } from '../../src/modelpack/format.js';
import { hairColourHex } from '../../src/hair/colour-space.js';

const artifactsDir = path.join(projectRoot, 'test-artifacts');
const defaultHeadPack = path.join(projectRoot, 'assets', 'generated', 'default-head.pack');

function luminance([r, g, b]: [number, number, number]): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

async function saveShot(name: string, image: PNG): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name);
  await writeFile(file, PNG.sync.write(image));
  return path.relative(projectRoot, file);
}

/**
 * The panel's hair picker: it shows the photo's style, another style changes the silhouette, the
 * colour swatch retints the hair, and "No hair" takes it away. Leaves the photo's style and colour.
 */
export async function checkHair(page: Page): Promise<void> {
  const select = '.pavatar-panel [data-action="hair-style"]', swatch = '.pavatar-panel [data-action="hair-colour"]';
  assert.equal(await page.isVisible(select), true, 'the hair picker is hidden for the default head');
  const fitted = (await page.evaluate(() => window.__sampleScene!.hair()))!;
  assert.equal(await page.inputValue(select), fitted.style ?? '');
  const head = (await page.evaluate(() => window.__sampleScene!.headBox()))!;
  // The whole upper view: a large style reaches beyond the head box.
  const view = { left: Math.max(0, head.left - head.width * 0.5), top: Math.max(0, head.top - head.height * 0.3), width: head.width * 2, height: head.height * 0.8 };
  const settle = async (predicate: string) => {
    await page.waitForFunction(predicate, null, { timeout: 60_000 });
    await page.evaluate(() => window.__sampleScene!.whenRendered());
    return canvasPixels(page);
  };
  const before = await canvasPixels(page);
  const other = fitted.style === 'afro01' ? 'long01' : 'afro01';
  await page.selectOption(select, other);
  const restyled = await settle(`window.__sampleScene.hair()?.style === '${other}'`);
  await page.$eval(swatch, (input: HTMLInputElement) => { input.value = '#d8c078'; input.dispatchEvent(new Event('change', { bubbles: true })); });
  const recoloured = await settle('window.__sampleScene.hair()?.base[0] > 0.5');
  await page.selectOption(select, '');
  const bald = await settle('window.__sampleScene.hair()?.style === null');
  const styleChange = changedFraction(before, restyled, view), colourChange = changedFraction(restyled, recoloured, view), removal = changedFraction(recoloured, bald, view);
  console.log(`      hair ${fitted.style} -> ${other}: ${(100 * styleChange).toFixed(1)} % of the upper view changed; blond swatch ${(100 * colourChange).toFixed(1)} %; `
    + `no hair ${(100 * removal).toFixed(1)} % (screenshots ${await saveShot('editor-hair-restyled.png', restyled)}, ${await saveShot('editor-hair-blond.png', recoloured)})`);
  assert.ok(styleChange > 0.05, 'another style barely changed the view');
  assert.ok(colourChange > 0.05, 'the colour swatch barely changed the hair');
  assert.ok(removal > 0.05, '"No hair" barely changed the view');
  // Back to the photo's hair for the checks that follow.
  const hex = hairColourHex(fitted.base);
  await page.$eval(swatch, (input: HTMLInputElement, value: string) => { input.value = value; input.dispatchEvent(new Event('change', { bubbles: true })); }, hex);
  await page.waitForFunction((base) => Math.abs(window.__sampleScene!.hair()!.base[0] - base) < 0.01, fitted.base[0], { timeout: 60_000 });
  await page.selectOption(select, fitted.style ?? '');
  await settle(`window.__sampleScene.hair()?.style === ${fitted.style ? `'${fitted.style}'` : 'null'}`);
}

/** Clicks a panel button and returns the file the browser downloads. */
async function downloadFrom(page: Page, action: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`.pavatar-panel [data-action="${action}"]`)]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(file) };
}

/**
 * After an avatar was created through the panel: it is in preview with every stage done, the
 * controls have accessible names, and a missing or refused webcam is explained (headless Chromium
 * has no camera).
 */
export async function checkPanel(page: Page): Promise<void> {
  assert.equal(await page.getAttribute('.pavatar-panel', 'data-state'), 'preview');
  const stageStates = await page.$$eval('.pavatar-stages li', (items) => items.map((item) => `${item.getAttribute('data-stage')}:${item.getAttribute('data-state')}`));
  console.log(`      panel stages: ${stageStates.join(' ')}`);
  assert.ok(stageStates.every((entry) => entry.endsWith(':done')), `not every stage finished: ${stageStates.join(' ')}`);
  const labels = await page.$$eval('#photo-action .pavatar-panel button', (buttons) => (buttons as HTMLButtonElement[]).map((b) => b.getAttribute('aria-label') ?? b.textContent ?? ''));
  console.log(`      panel buttons: ${labels.join(' | ')}`);
  assert.ok(labels.every((label) => label.trim().length > 0), 'a panel button has no accessible name');
  await page.click('.pavatar-panel [data-action="webcam"]');
  await page.waitForFunction(() => document.querySelector('.pavatar-message')?.getAttribute('role') === 'alert', null, { timeout: 30_000 });
  const message = (await page.textContent('.pavatar-message')) ?? '';
  console.log(`      webcam: "${message}"`);
  assert.match(message, /camera/i);
  assert.equal(await page.getAttribute('.pavatar-panel', 'data-state'), 'preview', 'a webcam failure must not lose the avatar in preview');
}

/** Switching environments relights the head measurably; dim indoor is darker than the studio. Leaves the studio on. */
export async function checkEnvironments(page: Page): Promise<void> {
  const head = await page.evaluate(() => window.__sampleScene!.headBox());
  assert.ok(head, 'no head box');
  const shots: Record<string, PNG> = {};
  for (const environment of ['studio', 'outdoor', 'indoor'] as const) {
    await page.evaluate((name) => window.__sampleScene!.setEnvironment(name), environment);
    shots[environment] = await canvasPixels(page);
    const shot = await saveShot(`editor-environment-${environment}.png`, shots[environment]);
    console.log(`      ${environment}: head mean colour ${meanColour(shots[environment], head)}, screenshot ${shot}`);
  }
  await page.evaluate(() => window.__sampleScene!.setEnvironment('studio'));
  const outdoorChange = changedFraction(shots.studio, shots.outdoor, head);
  const indoorChange = changedFraction(shots.studio, shots.indoor, head);
  const studioLuminance = luminance(meanRgb(shots.studio, head));
  const indoorLuminance = luminance(meanRgb(shots.indoor, head));
  console.log(`      head box ${roundBox(head)}: studio->outdoor changes ${(outdoorChange * 100).toFixed(1)}%, studio->indoor ${(indoorChange * 100).toFixed(1)}%; `
    + `mean luminance studio ${studioLuminance.toFixed(1)}, indoor ${indoorLuminance.toFixed(1)}`);
  assert.ok(outdoorChange > 0.3, `outdoor changed only ${(outdoorChange * 100).toFixed(1)}% of the head box`);
  assert.ok(indoorChange > 0.3, `dim indoor changed only ${(indoorChange * 100).toFixed(1)}% of the head box`);
  assert.ok(indoorLuminance < studioLuminance * 0.8, `dim indoor is not darker than studio (${indoorLuminance.toFixed(1)} vs ${studioLuminance.toFixed(1)})`);
  assert.equal(await page.isChecked('#environments input[value="studio"]'), true, 'the environment radios do not follow setEnvironment');
}

/** Blink moves the eye region, smile the mouth region, and the sliders follow the presets. Leaves the smile on. */
export async function checkPresets(page: Page): Promise<void> {
  const fittedCount = await page.evaluate(() => window.__sampleScene!.applyPreset('reset'));
  const fitted = await canvasPixels(page);
  const eyes = await page.evaluate(() => window.__sampleScene!.expressionBox('eyeBlink_L'));
  const smileLeft = await page.evaluate(() => window.__sampleScene!.expressionBox('mouthSmile_L'));
  const smileRight = await page.evaluate(() => window.__sampleScene!.expressionBox('mouthSmile_R'));
  assert.ok(eyes && smileLeft && smileRight, 'the model lacks eyeBlink_L, mouthSmile_L or mouthSmile_R');
  // Both mouth corners: the box spanning the regions each side's smile moves.
  const mouthLeft = Math.min(smileLeft.left, smileRight.left);
  const mouthTop = Math.min(smileLeft.top, smileRight.top);
  const mouth = {
    left: mouthLeft, top: mouthTop,
    width: Math.max(smileLeft.left + smileLeft.width, smileRight.left + smileRight.width) - mouthLeft,
    height: Math.max(smileLeft.top + smileLeft.height, smileRight.top + smileRight.height) - mouthTop,
  };

  const blinkCount = await page.evaluate(() => window.__sampleScene!.applyPreset('blink'));
  const blink = await canvasPixels(page);
  const eyeChange = changedFraction(fitted, blink, eyes);
  const blinkSlider = await page.inputValue('input[data-expression="eyeBlink_L"]');

  const smileCount = await page.evaluate(() => window.__sampleScene!.applyPreset('smile'));
  const smile = await canvasPixels(page);
  const mouthChange = changedFraction(fitted, smile, mouth);
  const smileSlider = await page.inputValue('input[data-expression="mouthSmile_L"]');
  console.log(`      reset set ${fittedCount} targets, blink ${blinkCount}, smile ${smileCount}; blink changes ${(eyeChange * 100).toFixed(1)}% of the eye box `
    + `${roundBox(eyes)}, smile ${(mouthChange * 100).toFixed(1)}% of the mouth box ${roundBox(mouth)}; sliders eyeBlink_L=${blinkSlider}, mouthSmile_L=${smileSlider}; `
    + `screenshots ${await saveShot('editor-preset-blink.png', blink)}, ${await saveShot('editor-preset-smile.png', smile)}`);
  assert.equal(blinkCount, 2);
  assert.ok(smileCount >= 2);
  assert.ok(eyeChange > 0.05, `blink changed only ${(eyeChange * 100).toFixed(1)}% of the eye region`);
  assert.ok(mouthChange > 0.05, `smile changed only ${(mouthChange * 100).toFixed(1)}% of the mouth region`);
  assert.equal(Number(blinkSlider), 1);
  assert.equal(Number(smileSlider), 1);
}

/** The panel's downloads: a .avatar that parses with format.ts (carrying the expression on show) and a GLB; then Accept keeps the head. */
export async function checkDownloadsAndAccept(page: Page, expectedBaseName: string): Promise<void> {
  const avatarFile = await downloadFrom(page, 'download-avatar');
  const pack = readPack(new Uint8Array(await readFile(defaultHeadPack)));
  const contents = await readAvatarFileContents(new Uint8Array(avatarFile.bytes), async (id) => {
    assert.equal(id, pack.id);
    return pack;
  });
  const smileIndex = contents.data.model.expressionNames.indexOf('mouthSmile_L');
  const blinkIndex = contents.data.model.expressionNames.indexOf('eyeBlink_L');
  console.log(`      ${avatarFile.name}: ${(avatarFile.bytes.length / 1024).toFixed(1)} KB, model ${contents.header.model.id}, `
    + `albedo ${contents.header.albedo.width}x${contents.header.albedo.height}, mouthSmile_L ${contents.data.expression[smileIndex].toFixed(3)}, `
    + `eyeBlink_L ${contents.data.expression[blinkIndex].toFixed(3)}, backend ${contents.header.backend}`);
  assert.equal(avatarFile.name, `${expectedBaseName}.avatar`);
  assert.equal(contents.data.identity.length, pack.identityCount);
  assert.ok(Math.abs(contents.data.expression[smileIndex] - 1) < 1e-6, 'the file lacks the smile on show');
  assert.equal(contents.data.expression[blinkIndex], 0);

  const glb = await downloadFrom(page, 'download-glb');
  console.log(`      ${glb.name}: ${(glb.bytes.length / 1024).toFixed(1)} KB`);
  assert.equal(glb.name, `${expectedBaseName}.glb`);
  assert.equal(glb.bytes.subarray(0, 4).toString('latin1'), 'glTF');
  assert.equal(glb.bytes.readUInt32LE(8), glb.bytes.length, 'GLB header length disagrees with the file');

  await page.click('.pavatar-panel [data-action="accept"]');
  assert.equal(await page.getAttribute('.pavatar-panel', 'data-state'), 'accepted');
  assert.ok(await page.evaluate(() => window.__sampleScene!.headBox()), 'the accepted avatar left the scene');
  assert.equal(await page.isDisabled('.pavatar-panel [data-action="accept"]'), true);
}

/**
 * The panel's face picker on a group photo: it lists the photo's faces left to right with the
 * avatar's own selected, and picking another makes that face's avatar from the same photo, in
 * preview. Leaves the new face's avatar in preview.
 */
export async function checkFacePicker(page: Page): Promise<void> {
  const select = '.pavatar-panel [data-action="face"]';
  const faces = (await page.evaluate(() => window.__sampleScene!.faces()))!;
  assert.ok(faces && faces.count > 1, `the test photo should hold several faces: ${JSON.stringify(faces)}`);
  assert.equal(await page.isVisible(select), true, 'the face picker is hidden for a group photo');
  const options = await page.$$eval(`${select} option`, (items) => (items as HTMLOptionElement[]).map((o) => ({ value: o.value, text: o.textContent ?? '' })));
  console.log(`      faces: ${options.map((o) => `${o.value} "${o.text}"`).join(', ')}; the avatar is face ${faces.chosen}`);
  assert.equal(options.length, faces.count);
  assert.equal(await page.inputValue(select), String(faces.chosen));
  const head = (await page.evaluate(() => window.__sampleScene!.headBox()))!;
  const before = await canvasPixels(page);
  const other = options.find((o) => o.value !== String(faces.chosen))!.value;
  const started = Date.now();
  await page.selectOption(select, other);
  await page.waitForFunction((index) => window.__sampleScene!.faces()?.chosen === index
    && document.querySelector('.pavatar-panel')?.getAttribute('data-state') === 'preview', Number(other), { timeout: 300_000 });
  await page.evaluate(() => window.__sampleScene!.whenRendered());
  const after = await canvasPixels(page);
  const change = changedFraction(before, after, head);
  console.log(`      face ${faces.chosen} -> ${other}: a new avatar in ${Date.now() - started} ms, ${(100 * change).toFixed(1)} % of the head box changed `
    + `(screenshot ${await saveShot('editor-face-picked.png', after)})`);
  assert.equal(await page.inputValue(select), other, 'the picker does not show the new face');
  assert.ok(change > 0.05, 'the avatar of another face looks the same');
}

/**
 * The sample scene's "Try the sample photo": the photo the package ships makes an avatar, and its
 * three faces are in the face picker. Leaves that avatar in preview.
 */
export async function checkSamplePhotoButton(page: Page): Promise<void> {
  // The avatar on show is another photo's (the test photo's width), so the sample photo's is known by its width.
  const before = await page.evaluate(() => window.__sampleScene!.faces()?.imageWidth);
  const started = Date.now();
  await page.click('#sample-photo');
  await page.waitForFunction((width) => {
    const faces = window.__sampleScene!.faces();
    return !!faces && faces.imageWidth !== width && document.querySelector('.pavatar-panel')?.getAttribute('data-state') === 'preview';
  }, before, { timeout: 300_000 });
  assert.equal((await page.evaluate(() => window.__sampleScene!.faces()))!.count, 3);
  await page.evaluate(() => window.__sampleScene!.whenRendered());
  const options = await page.$$eval('.pavatar-panel [data-action="face"] option', (items) => items.map((o) => o.textContent ?? ''));
  console.log(`      sample photo: an avatar in ${Date.now() - started} ms, faces ${options.join(' | ')} (screenshot ${await saveShot('sample-scene-sample-photo.png', await canvasPixels(page))})`);
  assert.deepEqual(options, ['left, largest', 'middle', 'right']);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
}
