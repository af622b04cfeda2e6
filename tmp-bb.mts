import './src/node/asset-files.js';
import { readFileSync } from 'node:fs';
import { estimateAlbedo, delightView } from './src/albedo/albedo.js';
import { getUvRaster } from './src/albedo/unwrap.js';
import { readUvapm } from './src/albedo/uvapm-format.js';
import { decodeImage } from './src/image/decode.js';
import { SRGB_TO_LINEAR, linearToSrgb } from './src/image/srgb.js';
import { createAvatarData } from './src/pipeline.js';
import { albedoInputOf } from './test/helpers/albedo-input.js';
for (const file of process.argv.slice(2)) {
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  const data = await createAvatarData(image, { textureSize: 512, hair: 'none' });
  const raster = getUvRaster(data.model, 512);
  const input = await albedoInputOf(image, data);
  const uvapm = readUvapm(data.model.albedoModel!);
  const median = (img: any) => { const ch = [[], [], []] as number[][]; for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0.7) for (let c = 0; c < 3; c++) ch[c].push(img.data[4 * raster.texel[i] + c]); return ch.map((v) => v.sort((a, b) => a - b)[v.length >> 1]); };
  const view = await delightView(input, 512, undefined, uvapm.skinColour);
  const srgb = (lin: ArrayLike<number>) => Array.from(lin, (v) => Math.round(255 * linearToSrgb(v)));
  const noModel = await estimateAlbedo(input, { size: 512 });
  console.log(file.split('/').pop(), '| delit skin tone (light gains applied)', srgb(view.skinTone), 'gains', Array.from(view.gains, (g) => g.toFixed(2)).join('/'), '| final albedo skin median sRGB', median(data.albedo), '| without the albedo model', median(noModel.albedo), '| stage-2 lights changed it:', data.albedo ? '' : '');
}
