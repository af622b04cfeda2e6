/**
 * Work split into short synchronous steps, written as a generator that yields a label after each
 * step: run at once (runSteps), or spread over event-loop tasks (runStepsInSlices) so the page
 * keeps drawing frames and answering input while it runs. Browsers flag any task over 50 ms as a
 * long task; a slice of about 10 ms leaves room for a frame's own work at 60 Hz.
 */
import { throwIfAborted } from './errors.js';

/** Yields a label after each step; returns the result. */
export type Steps<T> = Generator<string, T, void>;

/** How the steps ran (milliseconds of this thread). */
export interface StepsReport {
  steps: number;
  /** Time inside the steps, yields excluded. */
  workMs: number;
  longestStepMs: number;
  /** Label of the longest step. */
  longestStep: string;
  /** Longest run of steps between two yields to the event loop: the longest task the work made. */
  longestSliceMs: number;
  slices: number;
}

export interface SliceOptions {
  /** Milliseconds of steps to run before yielding to the event loop (default 10). */
  budgetMs?: number;
  /** Checked at each yield; on abort the steps are stopped (their finally blocks run) and the promise rejects with ABORTED. */
  signal?: AbortSignal;
  /** Called after each step with its label and duration (benches, diagnostics). */
  onStep?(label: string, ms: number): void;
}

export const DEFAULT_SLICE_BUDGET_MS = 10;

/** Runs every step now, in this task. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

interface TaskScheduler { yield?: () => Promise<void> }

/**
 * Resolves in a later task: scheduler.yield() where the browser has it (the continuation goes
 * ahead of other queued work but after rendering and input), else a MessageChannel message
 * (unlike setTimeout, not clamped to 4 ms when nested).
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: TaskScheduler }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Runs the steps in slices of about `budgetMs`, yielding to the event loop between slices. */
export async function runStepsInSlices<T>(steps: Steps<T>, options: SliceOptions = {}): Promise<{ result: T; report: StepsReport }> {
  const budgetMs = options.budgetMs ?? DEFAULT_SLICE_BUDGET_MS;
  const report: StepsReport = { steps: 0, workMs: 0, longestStepMs: 0, longestStep: '', longestSliceMs: 0, slices: 1 };
  let sliceStart = performance.now();
  for (;;) {
    const stepStart = performance.now();
    const next = steps.next();
    const now = performance.now();
    const stepMs = now - stepStart;
    report.workMs += stepMs;
    if (next.done) {
      report.longestSliceMs = Math.max(report.longestSliceMs, now - sliceStart);
      return { result: next.value, report };
    }
    report.steps++;
    options.onStep?.(next.value, stepMs);
    if (stepMs > report.longestStepMs) {
      report.longestStepMs = stepMs;
      report.longestStep = next.value;
    }
    if (now - sliceStart < budgetMs) continue;
    report.longestSliceMs = Math.max(report.longestSliceMs, now - sliceStart);
    await nextTask();
    if (options.signal?.aborted) steps.return(undefined as T);
    throwIfAborted(options.signal);
    report.slices++;
    sliceStart = performance.now();
  }
}
