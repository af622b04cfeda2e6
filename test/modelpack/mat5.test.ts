import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PhotoAvatarError } from '../../src/errors.js';
import { readMat } from '../../src/modelpack/importers/mat5.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { fuzz } from './fuzz.js';
import { writeMat, type MatWriteClass } from './mat-writer.js';

const CLASSES: MatWriteClass[] = ['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];

function sampleVariables() {
  return CLASSES.map((className, i) => ({
    name: `v_${className}`,
    className,
    dims: [2, 3],
    data: [0, 1, 2, 3, 4, 5].map((x) => (className.startsWith('u') ? x * (i + 1) : (x - 2) * (i + 1)) + (className === 'double' || className === 'single' ? 0.25 : 0)),
  }));
}

describe('modelpack MAT v5 reader', () => {
  it('reads every numeric class, column-major, plain and zlib-compressed', () => {
    for (const compress of [false, true]) {
      const file = readMat(writeMat([...sampleVariables(), { name: 'k', className: 'int32', dims: [1, 1], data: [7] }], { compress }));
      for (const v of sampleVariables()) {
        const got = file.variables.get(v.name)!;
        assert.equal(got.className, v.className);
        assert.deepEqual(got.dims, [2, 3]);
        assert.deepEqual(Array.from(got.data!), v.data, `${v.name} compress=${compress}`);
      }
      // A 4-byte payload and a 1-char name use the small data element format.
      assert.deepEqual(Array.from(file.variables.get('k')!.data!), [7]);
    }
  });

  it('names the problem in corrupt files', () => {
    const bytes = writeMat(sampleVariables());
    const expect = (damaged: Uint8Array, pattern: RegExp) =>
      assert.throws(() => readMat(damaged), (e: unknown) => e instanceof PhotoAvatarError && e.code === 'CORRUPT_INPUT_FILE' && pattern.test(e.message));
    expect(bytes.slice(0, 100), /shorter than the 128-byte/);
    const endian = bytes.slice(); endian[126] = 0x41;
    expect(endian, /endian/);
    expect(bytes.slice(0, bytes.length - 20), /claims \d+ bytes but only \d+ remain/);
    const dims = bytes.slice(); dims[128 + 8 + 16 + 8] = 9; // first matrix's rows: 2 -> 9
    expect(dims, /dimensions \[9, 3\] need 27 values but the data holds 6/);
    const z = writeMat(sampleVariables(), { compress: true }); z[128 + 12] ^= 0xff;
    expect(z, /zlib|claims|type/);
  });

  it('never crashes on truncated or bit-flipped files (fuzz)', () => {
    for (const compress of [false, true]) {
      const bytes = writeMat(sampleVariables(), { compress });
      const figures = fuzz(bytes, (b) => readMat(b), { cases: 300, seed: compress ? 11 : 5, hotRange: 512 });
      console.log(`    MAT fuzz (compressed=${compress}): ${figures.cases} cases, ${figures.rejected} rejected, ${figures.accepted} accepted`);
    }
  });

  describe('HiFi3D++ fixtures', function () {
    requireSharedData(this, 'hifi3d', 'hifi3dpp_model_info.fixture64.mat');

    it('reads the float64 and the float32+zlib fixture identically', () => {
      const a = readMat(readFileSync(sharedPath('hifi3d', 'hifi3dpp_model_info.fixture64.mat')));
      const b = readMat(readFileSync(sharedPath('hifi3d', 'hifi3dpp_model_info.fixture32z.mat')));
      assert.deepEqual([...a.variables.keys()].sort(), [...b.variables.keys()].sort());
      let compared = 0;
      for (const [name, x] of a.variables) {
        const y = b.variables.get(name)!;
        assert.equal(x.dims[0], y.dims[0], name);
        const rows = x.dims[0];
        const cols = Math.min(x.dims[1], y.dims[1]);
        for (let i = 0; i < rows * cols; i++) {
          if (Math.fround(x.data![i]) !== y.data![i]) assert.fail(`${name}[${i}]: ${x.data![i]} vs ${y.data![i]}`);
        }
        compared += rows * cols;
      }
      console.log(`    fixtures: ${a.variables.size} variables, ${compared} values equal after float32 rounding; idBase ${a.variables.get('idBase')!.dims} vs ${b.variables.get('idBase')!.dims}`);
      assert.deepEqual(b.variables.get('head_tri')!.dims, [40832, 3]);
    });
  });
});
