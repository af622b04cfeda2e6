/**
 * For the test hooks: what the page's main thread could still do while some work ran. A `longtask`
 * PerformanceObserver collects tasks over 50 ms, and a requestAnimationFrame loop counts the frames
 * the page ran (a frame needs the main thread free). The work starts in a task of its own, so the
 * caller's last task does not count.
 */
export interface MainThreadWatch<T> {
  result: T;
  ms: number;
  frames: number;
  /** Durations of the long tasks that overlapped the work, ms. */
  longTasksMs: number[];
}

export async function watchMainThread<T>(work: () => Promise<T>): Promise<MainThreadWatch<T>> {
  const tasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    observer.observe({ type: 'longtask' });
    const start = performance.now();
    let frames = 0, working = true;
    const tick = () => {
      if (!working) return;
      frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const result = await work();
    const end = performance.now();
    working = false;
    // Long-task entries arrive after their task.
    await new Promise((resolve) => setTimeout(resolve, 200));
    tasks.push(...observer.takeRecords());
    // A task that began just before `start` (the work's own synchronous start) counts too.
    const longTasksMs = tasks.filter((task) => task.startTime + task.duration > start && task.startTime < end).map((task) => task.duration);
    return { result, ms: end - start, frames, longTasksMs };
  } finally {
    observer.disconnect();
  }
}
