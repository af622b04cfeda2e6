import assert from 'node:assert/strict';
import { PhotoAvatarError } from '../../src/errors.js';
import { parseObj } from '../../src/modelpack/importers/obj.js';
import { fuzz } from './fuzz.js';

const SAMPLE = `# sample
mtllib x.mtl
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0.5 1.5 0.0
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vn 0 0 1
usemtl skin
f 1/1/1 2/2/1 3/3/1 4/4/1
g second
f -5//1 -3//1 -1//1
f 1 2 3 5 4
`;

function expectLineError(text: string, pattern: RegExp): void {
  assert.throws(() => parseObj(text, { source: 't.obj' }), (e: unknown) => e instanceof PhotoAvatarError && e.code === 'CORRUPT_INPUT_FILE' && pattern.test(e.message));
}

describe('modelpack OBJ reader', () => {
  it('splits quads a,b,c + a,c,d, fans n-gons and resolves negative indices', () => {
    const mesh = parseObj(SAMPLE);
    assert.equal(mesh.positions.length, 15);
    assert.equal(mesh.texcoords.length, 8);
    assert.equal(mesh.polygonCount, 3);
    assert.deepEqual(Array.from(mesh.triangles), [0, 1, 2, 0, 2, 3, 0, 2, 4, 0, 1, 2, 0, 2, 4, 0, 4, 3]);
    assert.deepEqual(Array.from(mesh.triangleTexcoords.subarray(0, 9)), [0, 1, 2, 0, 2, 3, -1, -1, -1]);
    assert.deepEqual(Array.from(mesh.triangleNormals.subarray(6, 9)), [0, 0, 0]);
    assert.deepEqual(mesh.groups.map((g) => [g.material, g.group, g.triangleStart, g.triangleCount]), [['skin', '', 0, 2], ['skin', 'second', 2, 4]]);
  });

  it('reports errors with line numbers', () => {
    expectLineError('v 0 0 0\nv 1 x 0\n', /t.obj line 2: y "x" is not a number/);
    expectLineError('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n', /line 4: vertex index 4 is out of range/);
    expectLineError('v 0 0 0\nf 1 1\n', /line 2: a face needs at least 3 corners/);
    expectLineError('v 0 0 nan\n', /line 1: z "nan" is not a finite number/);
    expectLineError('v 0 0 0\nv 0 0 0\nv 0 0 0\nf 1/0 2 3\n', /line 4: texture index 0 is out of range/);
    expectLineError('# nothing\n', /no vertices/);
  });

  it('never crashes on truncated or bit-flipped files (fuzz)', () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    const figures = fuzz(bytes, (b) => parseObj(b), { cases: 400, seed: 3 });
    console.log(`    OBJ fuzz: ${figures.cases} cases, ${figures.rejected} rejected, ${figures.accepted} accepted`);
  });
});
