/**
 * The default head's eyes against the people's own (issue 9; src/metrics/eye-look.ts): on the
 * shared HRN photos, the avatar rendered in each photo's frame and light. The eyes read staring
 * while the eyeball was lit as if in the open: its sclera was a median 2.3x as bright against the
 * cheek as the photo's, and as bright above the iris as below it.
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
  });
});
