/**
 * Hostile inputs on the command line: decompression bombs, endless and silent streams, damaged
 * photos, wrong flags. Each must end in exit 1 (a problem with the input) or 2 (usage) with a
 * message that names the problem, quickly, within bounded memory, and without writing anything.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PhotoAvatarError } from '../../src/errors.js';
import { readInputFile } from '../../src/cli/files.js';
import { decodeImage } from '../../src/image/decode.js';
import { MAX_IMAGE_PIXELS } from '../../src/image/header-size.js';
import { defaultSamplePhoto } from '../../src/cli/files.js';
import { blackBilevelPngBomb, headerOnlyPngBomb, overlongIdatPng } from './bomb-images.js';
import { spawnCli } from './cli-child.js';
import { encodePng } from '../../src/image/encode.js';
import { writeGlb } from '../../src/export/glb.js';
import { makeAvatarData, syntheticHeadModel } from '../export/synthetic-avatar.js';

const MiB = 1024 * 1024;

function expectPhotoAvatarError(run: () => unknown, code: string, pattern: RegExp): string {
  let message = '';
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PhotoAvatarError, `expected a PhotoAvatarError, got ${(error as Error)?.stack ?? error}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    message = error.message;
    return true;
  });
  return message;
}

describe('hostile: decompression bombs', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-bomb-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a header that declares more than the pixel cap before allocating', () => {
    const bomb = headerOnlyPngBomb(100_000, 100_000);
    const message = expectPhotoAvatarError(() => decodeImage(bomb), 'CORRUPT_IMAGE', /100000x100000 pixels .*50 MP limit/);
    console.log(`    ${bomb.length}-byte PNG declaring 100000²: ${message}`);
    // A JPEG whose frame header declares 65535x65535 (4.3 GP).
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xff, 0xff, 0xff, 0xff, 1, 1, 0x11, 0, 0xff, 0xd9]);
    expectPhotoAvatarError(() => decodeImage(jpeg), 'CORRUPT_IMAGE', /65535x65535 pixels/);
    assert.equal(MAX_IMAGE_PIXELS, 50_000_000);
  });

  it('bounds an IDAT that inflates far past what the header declares', () => {
    const bomb = overlongIdatPng(64, 64 * MiB);
    const before = process.memoryUsage().arrayBuffers;
    const { image } = decodeImage(bomb);
    const grown = process.memoryUsage().arrayBuffers - before;
    console.log(`    ${bomb.length}-byte PNG (64² header, 64 MiB of zlib data): decoded ${image.width}x${image.height}, array buffers grew ${(grown / MiB).toFixed(1)} MiB`);
    assert.equal(image.width, 64);
    assert.ok(grown < 16 * MiB, `inflate stayed bounded (${grown} bytes)`);
  });

  it('create on a 1-bit 30000² PNG bomb: exit 1 naming the file, peak RSS bounded', async () => {
    const file = path.join(dir, 'bomb.png');
    writeFileSync(file, blackBilevelPngBomb(30000));
    const run = await spawnCli(['create', file, '-o', path.join(dir, 'bomb.glb')], { maxRssBytes: 1024 * MiB });
    console.log(`    ${(readFileSync(file).length / 1024).toFixed(0)} KB bomb: exit ${run.status}, peak RSS ${(run.peakRssBytes / MiB).toFixed(0)} MiB, ${run.wallMs.toFixed(0)} ms: ${run.stderr.trim()}`);
    assert.ok(!run.killedForMemory, 'stayed under 1 GiB');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /bomb\.png: The PNG image declares 30000x30000 pixels/);
    if (run.peakRssBytes > 0) assert.ok(run.peakRssBytes < 400 * MiB, `peak RSS ${run.peakRssBytes}`);
    assert.deepEqual(readdirSync(dir), ['bomb.png']);
  });
});

describe('hostile: endless and silent streams', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-stream-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('create /dev/zero: exit 1 at the byte cap, bounded memory', async function () {
    if (!existsSync('/dev/zero')) this.skip();
    const run = await spawnCli(['create', '/dev/zero', '-o', path.join(dir, 'zero.glb')], { maxRssBytes: 1536 * MiB });
    console.log(`    /dev/zero: exit ${run.status}, peak RSS ${(run.peakRssBytes / MiB).toFixed(0)} MiB, ${run.wallMs.toFixed(0)} ms: ${run.stderr.trim()}`);
    assert.ok(!run.killedForMemory);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /The photo \/dev\/zero is too large \(more than the 256 MiB limit/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a regular file over the byte cap is refused from its size, without reading it', async () => {
    const file = path.join(dir, 'huge.jpg');
    writeFileSync(file, '');
    truncateSync(file, 300 * MiB); // sparse: no disk used
    const started = performance.now();
    await assert.rejects(readInputFile(file, 'photo'), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError && error.code === 'UNREADABLE_INPUT', String(error));
      assert.match(error.message, /huge\.jpg is too large \(300 MiB, more than the 256 MiB limit/);
      return true;
    });
    assert.ok(performance.now() - started < 1000);
    rmSync(file);
  });

  it('a FIFO nobody writes to, and one whose writer stalls, end with a timeout naming the file', async function () {
    const fifo = path.join(dir, 'silent.fifo');
    try { execFileSync('mkfifo', [fifo]); } catch { console.log('    skipped: mkfifo unavailable'); this.skip(); }
    const started = performance.now();
    await assert.rejects(readInputFile(fifo, 'photo', { idleTimeoutMs: 400 }), (error: unknown) => {
      assert.ok(error instanceof PhotoAvatarError && error.code === 'UNREADABLE_INPUT', String(error));
      assert.match(error.message, /silent\.fifo delivered no data for 0\.4 s/);
      return true;
    });
    const waited = performance.now() - started;
    assert.ok(waited >= 400 && waited < 3000, `gave up after ${waited} ms`);
    // A writer that sends some bytes and then holds the pipe open without sending more.
    const writer = spawn('sh', ['-c', `exec 3>"${fifo}"; printf 'abc' >&3; sleep 5`], { stdio: 'ignore' });
    try {
      await assert.rejects(readInputFile(fifo, 'photo', { idleTimeoutMs: 400 }), /delivered no more data for 0\.4 s/);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('a pipe that delivers a photo in pieces is read whole', async function () {
    const fifo = path.join(dir, 'photo.fifo');
    try { execFileSync('mkfifo', [fifo]); } catch { this.skip(); }
    const photo = defaultSamplePhoto();
    const writer = spawn('sh', ['-c', `sleep 0.2; cat "${photo}" > "${fifo}"`], { stdio: 'ignore' });
    const bytes = await readInputFile(fifo, 'photo', { idleTimeoutMs: 5000 });
    writer.kill();
    assert.deepEqual(Buffer.from(bytes), readFileSync(photo));
  });
});

describe('hostile: damaged photos and wrong arguments on the command line', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-args-'));
    mkdirSync(path.join(dir, 'folder.jpg'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, (d: string) => string[], number, RegExp][] = [
    ['missing photo', (d) => ['create', path.join(d, 'nope.jpg'), '-o', path.join(d, 'a.glb')], 1, /The photo .*nope\.jpg does not exist/],
    ['folder as photo', (d) => ['create', path.join(d, 'folder.jpg'), '-o', path.join(d, 'a.glb')], 1, /folder\.jpg is a folder, not a file/],
    ['missing pack', (d) => ['create', defaultSamplePhoto(), '--model', path.join(d, 'nope.pack'), '-o', path.join(d, 'a.glb')], 1, /The model pack .*nope\.pack does not exist/],
    ['boolean flag with a value', (d) => ['create', '--force=no', '-o', path.join(d, 'a.glb')], 2, /--force is a switch and takes no value \(got "no"\)/],
    ['repeated -o', (d) => ['create', '-o', path.join(d, 'a.glb'), '-o', path.join(d, 'b.glb')], 2, /--out is given twice/],
    ['empty --face', (d) => ['create', '--face', '', '-o', path.join(d, 'a.glb')], 2, /--face must be an integer from 0 to 1000, got ""/],
    ['hex --texture-size', (d) => ['create', '--texture-size', '0x100', '-o', path.join(d, 'a.glb')], 2, /--texture-size must be an integer from 256 to 4096, got "0x100"/],
    ['--preview x.jpg', (d) => ['create', '--preview', path.join(d, 'x.jpg'), '-o', path.join(d, 'a.glb')], 2, /--preview writes PNG: give a file name ending in \.png/],
    ['--report x.txt', (d) => ['create', '--report', path.join(d, 'x.txt'), '-o', path.join(d, 'a.glb')], 2, /--report writes JSON/],
    ['unknown --compress', (d) => ['create', '--compress', 'draco', '-o', path.join(d, 'a.glb')], 2, /--compress must be meshopt or none, got "draco"/],
    ['--compress with .avatar', (d) => ['create', '--compress', 'none', '-o', path.join(d, 'a.avatar')], 2, /--compress applies to \.glb output only/],
  ];
  for (const [label, args, status, pattern] of cases) {
    it(`${label}: exit ${status}`, async () => {
      const run = await spawnCli(args(dir));
      console.log(`    exit ${run.status}: ${run.stderr.trim()}`);
      assert.equal(run.status, status);
      assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stderr, /internal error|at .*\.ts:\d+/);
      assert.deepEqual(readdirSync(dir).sort(), ['folder.jpg']);
    });
  }

  it('a GLB without landmarks given to import: exit 1 saying what is missing', async () => {
    const model = syntheticHeadModel();
    const file = path.join(dir, 'rig.glb');
    writeFileSync(file, writeGlb({ ...makeAvatarData(model), neutralVertices: model.positions.slice() }, { morphNormals: false }));
    const run = await spawnCli(['import', 'glb', file, '-o', path.join(dir, 'rig.pack')]);
    console.log(`    exit ${run.status}: ${run.stderr.trim()}`);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /rig\.glb: no iBUG-68 landmarks/);
    rmSync(file);
  });

  it('"No face was found" names the file', async () => {
    const file = path.join(dir, 'wall.png');
    // A plain grey wall: no face by construction.
    writeFileSync(file, encodePng({ width: 320, height: 240, data: new Uint8Array(320 * 240 * 4).fill(128) }));
    const run = await spawnCli(['create', file, '-o', path.join(dir, 'w.glb')]);
    console.log(`    exit ${run.status}: ${run.stderr.trim().split('\n').pop()}`);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /wall\.png: No face was found/);
    rmSync(file);
  });

  it('a JPEG whose scan data is damaged: exit 1 in the user\'s terms, no decoder internals', async () => {
    const good = readFileSync(defaultSamplePhoto());
    const damaged = Buffer.from(good);
    // Overwrite the quantisation/Huffman tables region with noise, keeping SOI and EOI.
    for (let i = 20; i < 600; i++) damaged[i] = (i * 37) & 0xff;
    const file = path.join(dir, 'damaged.jpg');
    writeFileSync(file, damaged);
    const run = await spawnCli(['create', file, '-o', path.join(dir, 'd.glb')]);
    console.log(`    exit ${run.status}: ${run.stderr.trim()}`);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /damaged\.jpg: The JPEG image is corrupt/);
    assert.doesNotMatch(run.stderr, /Cannot read properties|undefined|RangeError|TypeError/);
    rmSync(file);
  });
});
