/**
 * Outputs against links, folders and unwritable places: an input is never replaced, whatever path
 * leads to it, and a place that cannot be written is reported (exit 1, file and reason) before the
 * pipeline spends any time. These runs fail before any model loads, so they take a second each.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSamplePhoto } from '../../src/cli/files.js';
import { spawnCli } from './cli-child.js';
import { projectRoot } from '../helpers/shared-data.js';

/** Runs that fail in checkOutputs never reach the models: a generous bound that still proves it. */
const BEFORE_PIPELINE_MS = 8000;

describe('hostile: links and unwritable outputs', function () {
  this.timeout(120_000);
  let dir: string;
  let photo: Buffer;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-paths-'));
    photo = readFileSync(defaultSamplePhoto());
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a symlink to the output as input: refused, the photo kept (issue case: cp photo p.glb; ln -s p.glb in.jpg)', async () => {
    writeFileSync(path.join(dir, 'p.glb'), photo);
    symlinkSync('p.glb', path.join(dir, 'in.jpg'));
    const run = await spawnCli(['create', 'in.jpg', '-o', 'p.glb', '--force'], { cwd: dir });
    console.log(`    exit ${run.status}: ${run.stderr.trim()}`);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Refusing to write p\.glb: it is one of the inputs \(or a link to one\)/);
    assert.deepEqual(readFileSync(path.join(dir, 'p.glb')), photo);
  });

  it('a hard link and a path through a symlinked folder are caught too', async () => {
    writeFileSync(path.join(dir, 'photo.jpg'), photo);
    linkSync(path.join(dir, 'photo.jpg'), path.join(dir, 'hard.glb'));
    const hard = await spawnCli(['create', 'photo.jpg', '-o', 'hard.glb', '--force'], { cwd: dir });
    assert.equal(hard.status, 2, hard.stderr);
    assert.match(hard.stderr, /one of the inputs/);
    mkdirSync(path.join(dir, 'real'));
    copyFileSync(path.join(dir, 'photo.jpg'), path.join(dir, 'real', 'x.glb'));
    symlinkSync('real', path.join(dir, 'alias'));
    const viaFolder = await spawnCli(['create', 'alias/x.glb', '-o', 'real/x.glb', '--force'], { cwd: dir });
    assert.equal(viaFolder.status, 2, viaFolder.stderr);
    assert.match(viaFolder.stderr, /one of the inputs/);
    assert.deepEqual(readFileSync(path.join(dir, 'photo.jpg')), photo);
    assert.deepEqual(readFileSync(path.join(dir, 'real', 'x.glb')), photo);
  });

  const unwritable: [string, (d: string) => string, RegExp][] = [
    ['a file where the output folder should be', (d) => { writeFileSync(path.join(d, 'notafolder'), 'x'); return path.join(d, 'notafolder', 'out.glb'); }, /notafolder is a file, not a folder/],
    ['an output that is a folder (EISDIR)', (d) => { mkdirSync(path.join(d, 'out.glb')); return path.join(d, 'out.glb'); }, /Cannot write .*out\.glb: it is a folder/],
    // Relative, as users type it: the old code's lstat on it threw before any check (exit 3).
    ['a name too long for the file system (ENAMETOOLONG)', (d) => path.relative(projectRoot, path.join(d, `${'n'.repeat(300)}.glb`)), /Cannot write .*\.glb: the file name is too long/],
    ['a folder that does not exist', (d) => path.join(d, 'missing', 'out.glb'), /the folder .*missing does not exist/],
  ];
  for (const [label, target, pattern] of unwritable) {
    it(`${label}: exit 1 before the pipeline`, async () => {
      const out = target(dir);
      const before = readdirSync(dir).sort();
      const run = await spawnCli(['create', defaultSamplePhoto(), '-o', out, '--force']);
      console.log(`    exit ${run.status} after ${run.wallMs.toFixed(0)} ms: ${run.stderr.trim().slice(0, 200)}`);
      assert.equal(run.status, 1);
      assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stderr, /internal error/);
      assert.ok(run.wallMs < BEFORE_PIPELINE_MS, `failed fast (${run.wallMs} ms)`);
      assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
    });
  }

  it('a read-only folder (EACCES): exit 1 before the pipeline', async function () {
    if (process.getuid?.() === 0) {
      console.log('    skipped: running as root, which writes into read-only folders (the file-as-folder and EISDIR cases cover the same check)');
      this.skip();
    }
    chmodSync(dir, 0o555);
    const run = await spawnCli(['create', defaultSamplePhoto(), '-o', path.join(dir, 'out.glb')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Cannot write .*out\.glb: permission denied/);
    assert.ok(run.wallMs < BEFORE_PIPELINE_MS);
  });
});
