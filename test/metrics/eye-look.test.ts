/**
 * The default head's eyes against the people's own (issue 9; src/metrics/eye-look.ts): on the
 * shared HRN photos, the avatar rendered in each photo's frame and light. The eyes read staring
 * while the eyeball was lit as if in the open: its sclera was a median 2.3x as bright against the
 * cheek as the photo's, and as bright above the iris as below it. Without a lash line the upper lid
 * margin was flat skin, 1.58x as light against the cheek as the photos' lash line.
 */
import assert from 'node:assert/strict';
import { avatarEyeFigures, median, photoEyeFigures, type EyeFigures } from '../../src/metrics/eye-look.js';
import { defaultHeadAvatar } from '../helpers/albedo-input.js';

const PHOTOS = ['00016.png', '00034.png', '00133.png', '00437.png', '00521.png'];

describe('metrics: eye look of the default head', function () {
  this.timeout(180_000);

  it('shades the sclera about as the photos show it: against the cheek, and under the upper lid', async function () {
    const eyes: Array<{ photo: EyeFigures; avatar: EyeFigures }> = [];
    for (const photo of PHOTOS) {
      const { image, data } = await defaultHeadAvatar(this, 'photos', 'hrn', 'single', photo);
      const photoFigures = photoEyeFigures(image, data), avatarFigures = avatarEyeFigures(image, data);
      for (let side = 0; side < 2; side++) {
        const pair = { photo: photoFigures[side], avatar: avatarFigures[side] };
        // An eye closed in the photo has no iris or no sclera below it to compare.
        if ([pair.photo, pair.avatar].every((f) => Object.values(f).every(Number.isFinite))) eyes.push(pair);
      }
    }
    const brightness = median(eyes.map((e) => e.avatar.scleraOverSkin / e.photo.scleraOverSkin));
    const upperOverLower = median(eyes.map((e) => e.avatar.upperOverLower));
    const photoUpperOverLower = median(eyes.map((e) => e.photo.upperOverLower));
    console.log(`    ${eyes.length} eyes: sclera/cheek luminance, avatar over photo ${brightness.toFixed(2)} (median per eye); sclera above over below the iris centre ${upperOverLower.toFixed(2)} (photos ${photoUpperOverLower.toFixed(2)})`);
    assert.ok(eyes.length >= 8, `${eyes.length} eyes measured`);
    // Lit as if in the open it was 2.3x; darker than the photos' would read as grey, dull eyes.
    assert.ok(brightness > 0.7 && brightness < 1.6, `sclera/cheek luminance ${brightness.toFixed(2)}x the photos'`);
    // It was 1.00 (the lid's shadow lay above the lid's margin); the photos' is 0.62.
    assert.ok(upperOverLower < 0.85, `sclera above/below the iris centre ${upperOverLower.toFixed(2)}`);
    // The lash line (src/albedo/lash-line.ts): the upper lid margin over the cheek, avatar over photo.
    const upperMargin = median(eyes.map((e) => e.avatar.upperMarginOverSkin / e.photo.upperMarginOverSkin));
    const avatarUpper = median(eyes.map((e) => e.avatar.upperMarginOverSkin)), avatarLower = median(eyes.map((e) => e.avatar.lowerMarginOverSkin));
    console.log(`    upper lid margin/cheek luminance, avatar over photo ${upperMargin.toFixed(2)} (median per eye); avatar's upper margin ${avatarUpper.toFixed(2)}, lower ${avatarLower.toFixed(2)} of the cheek`);
    // Without a lash line the lid margin was flat skin: 1.58x as light as the photos' (1.56 on the 25 eyes of bench/eye-look.ts).
    assert.ok(upperMargin > 0.75 && upperMargin < 1.25, `upper lid margin/cheek ${upperMargin.toFixed(2)}x the photos'`);
    // The upper line is the stronger: it was 0.65 against the lower's 0.71.
    assert.ok(avatarUpper < 0.9 * avatarLower, `upper margin ${avatarUpper.toFixed(2)} against lower ${avatarLower.toFixed(2)} of the cheek`);
  });
});
