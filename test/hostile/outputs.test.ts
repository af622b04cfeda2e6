/**
 * Outputs are all-or-nothing: written in full under temporary names, moved into place together,
 * withdrawn when any fails, removed on SIGINT/SIGTERM, and never silently replaced by a concurrent
 * run (exclusive create without --force).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PhotoAvatarError } from '../../src/errors.js';
import { writeError, writeOutputSet } from '../../src/node/output-set.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { spawnCli } from './cli-child.js';

function expectOutputError(error: unknown, pattern: RegExp): true {
  assert.ok(error instanceof PhotoAvatarError, String(error));
  assert.equal(error.code, 'OUTPUT_NOT_WRITABLE');
  assert.match(error.message, pattern);
  return true;
}

const isTemporary = (name: string) => name.endsWith('.tmp');

describe('hostile: writeOutputSet is all-or-nothing', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-outputs-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a failing second output leaves no first output and no temporary file', async () => {
    const first = path.join(dir, 'a.glb');
    await assert.rejects(writeOutputSet([{ file: first, bytes: 'A' }, { file: path.join(dir, 'missing', 'b.png'), bytes: 'B' }]),
      (error) => expectOutputError(error, /Cannot write .*b\.png: its folder does not exist/));
    assert.deepEqual(readdirSync(dir), []);
  });

  it('without replace, an output that appeared meanwhile is kept and the outputs already placed are withdrawn', async () => {
    const theirs = path.join(dir, 'b.png');
    writeFileSync(theirs, 'another run');
    await assert.rejects(writeOutputSet([{ file: path.join(dir, 'a.glb'), bytes: 'A' }, { file: theirs, bytes: 'B' }]),
      (error) => expectOutputError(error, /b\.png appeared while this run was working/));
    assert.deepEqual(readdirSync(dir), ['b.png']);
    assert.equal(readFileSync(theirs, 'utf8'), 'another run');
  });

  it('write failures the tests cannot provoke as root (ENOSPC, EROFS, EACCES) map to messages naming file and reason', () => {
    // Only the errno-to-message mapping: provoking these needs a full or read-only file system.
    for (const [code, reason] of [['ENOSPC', 'no space left on the device'], ['EROFS', 'the file system is read-only'], ['EACCES', 'permission denied'], ['EDQUOT', 'disk quota exceeded']]) {
      const error = writeError('out/x.glb', Object.assign(new Error(code), { code }));
      assert.equal(error.code, 'OUTPUT_NOT_WRITABLE');
      assert.equal(error.message, `Cannot write out/x.glb: ${reason}.`);
    }
  });

  it('with replace, existing outputs are replaced', async () => {
    writeFileSync(path.join(dir, 'a.glb'), 'old');
    await writeOutputSet([{ file: path.join(dir, 'a.glb'), bytes: 'new' }], { replace: true });
    assert.equal(readFileSync(path.join(dir, 'a.glb'), 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['a.glb']);
  });
});

describe('hostile: interrupts and concurrent runs of create', function () {
  requireSharedData(this, 'photos', 'hrn', 'single', '00016.png');
  this.timeout(300_000);
  const photo = sharedPath('photos', 'hrn', 'single', '00016.png');
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-signals-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const outputArgs = (d: string) => ['-o', path.join(d, 'out.glb'), '--preview', path.join(d, 'out.png'), '--report', path.join(d, 'out.json'), '-q'];

  it('SIGINT during fitting: nothing written', async () => {
    let sent = false;
    const run = await spawnCli(['create', photo, ...outputArgs(dir).filter((a) => a !== '-q')], {
      onStderr: (text, child) => { if (!sent && text.includes('[fit]')) { sent = true; child.kill('SIGINT'); } },
    });
    console.log(`    SIGINT at [fit]: exit ${run.status ?? run.signal}, left: [${readdirSync(dir).join(', ')}]`);
    assert.ok(sent, 'the run reached the fit stage');
    assert.equal(run.status, 130, 'exit 128 + SIGINT');
    assert.deepEqual(readdirSync(dir), []);
  });

  it('SIGTERM the moment the first temporary file appears: no debris, and the set is complete or absent', async () => {
    let sentAt: string | null = null;
    // Armed once the albedo stage starts, so the writability probe before the pipeline (which
    // creates and removes the same temporary names) does not trigger it.
    let armed = false;
    const watcher = watch(dir);
    const run = await spawnCli(['create', photo, ...outputArgs(dir).filter((a) => a !== '-q'), '--texture-size', '2048'], {
      maxRssBytes: 3 * 1024 ** 3,
      onStderr: (text) => { if (text.includes('[albedo]')) armed = true; },
      onSpawn: (child) => watcher.on('change', (_event, name) => {
        if (armed && sentAt === null && typeof name === 'string' && isTemporary(name)) { sentAt = name; child.kill('SIGTERM'); }
      }),
    });
    watcher.close();
    const left = readdirSync(dir);
    console.log(`    SIGTERM when ${sentAt ?? 'no temporary file'} appeared: exit ${run.status ?? run.signal}${/interrupted/.test(run.stderr) ? ` (${run.stderr.trim().split('\n').pop()})` : ''}, left: [${left.join(', ')}]`);
    assert.ok(sentAt !== null, 'a temporary file was seen');
    assert.deepEqual(left.filter(isTemporary), [], 'no temporary file left');
    assert.ok(left.length === 0 || left.length === 3, `all or nothing: ${left.join(', ')}`);
    if (run.status === 143) assert.deepEqual(left, []);
  });

  it('two concurrent runs with the same -o: one wins, the other fails without replacing it', async () => {
    const out = path.join(dir, 'same.glb');
    const [a, b] = await Promise.all([spawnCli(['create', photo, '-o', out, '-q']), spawnCli(['create', photo, '-o', out, '-q', '--texture-size', '512'])]);
    console.log(`    run A (1024²): exit ${a.status} ${a.stderr.trim()}\n    run B (512²): exit ${b.status} ${b.stderr.trim()}`);
    const statuses = [a.status, b.status].sort();
    assert.equal(statuses[0], 0, 'one run succeeds');
    assert.notEqual(statuses[1], 0, 'the other does not claim success');
    const loser = a.status === 0 ? b : a;
    assert.match(loser.stderr, /appeared while this run was working|already exists/);
    const glb = readFileSync(out);
    assert.equal(glb.subarray(0, 4).toString('latin1'), 'glTF');
    // The file on disk is the winner's: 512² and 1024² albedos give GLBs of clearly different sizes.
    const winnerIsA = a.status === 0;
    const json = JSON.parse(glb.subarray(20, 20 + glb.readUInt32LE(12)).toString('utf8'));
    console.log(`    on disk: ${(glb.length / 1024).toFixed(0)} KiB, images ${JSON.stringify(json.images?.length)}; winner ${winnerIsA ? 'A' : 'B'}`);
    assert.deepEqual(readdirSync(dir).filter(isTemporary), []);
    assert.ok(existsSync(out));
  });
});
