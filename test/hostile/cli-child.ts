/**
 * Runs the photo-avatar CLI from source in a child process, as a user would, while watching its
 * peak resident memory (Linux /proc) and killing it above a bound, so a memory-bomb test can never
 * take the machine down with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../helpers/shared-data.js';

/** tsx by file URL, so the child can run in any folder (a bare 'tsx' resolves from its cwd). */
const TSX_LOADER = pathToFileURL(path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Highest resident set size seen, bytes (0 where /proc is unavailable). */
  peakRssBytes: number;
  /** True when the child was killed for passing `maxRssBytes`. */
  killedForMemory: boolean;
  wallMs: number;
  /**
   * CPU time (user + system, all threads; ms) at the last look before the child exited (0 where
   * /proc is unavailable): on a loaded machine it moves far less than the wall time.
   */
  cpuMs: number;
}

export interface CliOptions {
  cwd?: string;
  /** Kill the child when its resident memory passes this (default 2 GiB). */
  maxRssBytes?: number;
  timeoutMs?: number;
  /** Called with the child once it runs, e.g. to send it a signal. */
  onSpawn?: (child: ChildProcess) => void;
  /** Called with each chunk of stderr, e.g. to act when a stage starts. */
  onStderr?: (text: string, child: ChildProcess) => void;
  /** Node arguments that start the CLI (default: src/cli/main.ts through tsx; a built bin/photo-avatar.js for benchmarks). */
  entry?: string[];
}

export function spawnCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const maxRss = options.maxRssBytes ?? 2 * 1024 ** 3;
  const started = performance.now();
  const entry = options.entry ?? ['--import', TSX_LOADER, path.join(projectRoot, 'src', 'cli', 'main.ts')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '', peak = 0, killedForMemory = false, cpuMs = 0;
  child.stdout!.on('data', (chunk) => { stdout += chunk; });
  child.stderr!.on('data', (chunk) => { stderr += chunk; options.onStderr?.(String(chunk), child); });
  const watch = setInterval(() => {
    const rss = residentBytes(child.pid);
    peak = Math.max(peak, rss);
    cpuMs = Math.max(cpuMs, cpuMilliseconds(child.pid));
    if (rss > maxRss && !killedForMemory) {
      killedForMemory = true;
      child.kill('SIGKILL');
    }
  }, 10);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  options.onSpawn?.(child);
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearInterval(watch);
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, peakRssBytes: peak, killedForMemory, wallMs: performance.now() - started, cpuMs });
    });
  });
}

/** VmHWM (the kernel's own peak) when readable, else the current VmRSS; 0 without /proc. */
function residentBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? /VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** utime + stime of a process (its threads included), ms; 0 without /proc. */
function cpuMilliseconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return 0;
  }
}
