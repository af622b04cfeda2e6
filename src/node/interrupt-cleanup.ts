/**
 * Node-only: files a run has half-made are removed when the run is interrupted (SIGINT, SIGTERM,
 * SIGHUP), so Ctrl-C never leaves `out.glb.<pid>.tmp` or an incomplete set of outputs behind.
 * Writers register what they create and unregister it once it is final. Only a program that owns
 * the process (the CLI) installs the signal handlers: a library must not take over an
 * application's Ctrl-C.
 */
import { rmSync } from 'node:fs';

const pending = new Set<string>();
let installed = false;

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** Marks a file for removal if the process is interrupted before `keepOnInterrupt` is called. */
export function removeOnInterrupt(file: string): void {
  pending.add(file);
}

export function keepOnInterrupt(file: string): void {
  pending.delete(file);
}

/** Removes every registered file now (synchronously: this runs inside signal handlers). */
export function removePendingFiles(): void {
  for (const file of pending) removeQuietly(file);
  pending.clear();
}

/**
 * Removes a temporary file if it is there. Never throws: a name the file system refuses
 * (ENAMETOOLONG, ENOTDIR) cannot hold debris, and a cleanup error must not hide the error that
 * caused the cleanup.
 */
export function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing there to remove
  }
}

/** Removes the registered files on SIGINT/SIGTERM/SIGHUP, then exits with 128 + the signal number. */
export function installInterruptCleanup(): void {
  if (installed) return;
  installed = true;
  for (const [signal, number] of Object.entries(SIGNAL_NUMBERS)) {
    process.on(signal as NodeJS.Signals, () => {
      removePendingFiles();
      process.stderr.write(`photo-avatar: interrupted (${signal}); temporary files removed.\n`);
      // The shell convention for "killed by signal N", as if no handler had been installed.
      process.exit(128 + number);
    });
  }
}
