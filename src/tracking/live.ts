/**
 * Browser-only: a webcam (<video> or MediaStream) drives a Babylon avatar live. Each video frame is
 * drawn into a small canvas, tracked (face-tracker.ts) and applied to the avatar
 * (babylon-animation.ts); a frame that arrives while one is being tracked is skipped, so latency
 * stays one frame's work. Where the avatar worker runs (../worker/client.ts) the face models and the
 * solve run there, off the page's main thread; otherwise, or if it cannot start, on the page.
 * Listeners get a 'frame' event per tracked frame. Nothing here runs at import time, so Node code
 * may import the module.
 */
import { PhotoAvatarError } from '../errors.js';
import type { Avatar } from '../plugin/avatar.js';
import type { RgbaImage } from '../types.js';
import { workersAvailable, WorkerFaceTracker } from '../worker/client.js';
import { applyTrackedFrame } from './babylon-animation.js';
import { FaceTracker, type FaceTrackerOptions, type TrackedFrame, type TrackerCalibration } from './face-tracker.js';

export interface LiveTrackingOptions extends FaceTrackerOptions {
  /** Frames wider than this are downscaled before tracking (default 640 px). */
  maxWidth?: number;
  /** Apply each frame to the avatar (default true); false only reports events. */
  apply?: boolean;
  /** Track in the avatar worker where workers run (default true); false tracks on the page's main thread. */
  worker?: boolean;
  /** With the worker: a frame or start unanswered for this long fails the tracker (default 180 s). */
  workerTimeoutMs?: number;
}

/** What LiveFaceTracker needs of a tracker: FaceTracker on the page, or WorkerFaceTracker. */
interface FrameTracker {
  track(image: RgbaImage, timeSeconds: number): Promise<TrackedFrame | null>;
  calibrate(image: RgbaImage): Promise<TrackerCalibration>;
  stop?(): void;
}

export interface LiveFrameDetail {
  /** The tracked frame, or null when no face was found. */
  frame: TrackedFrame | null;
  /** Video time of the frame, seconds. */
  timeSeconds: number;
  /** From grabbing the video frame to the avatar updated, ms. */
  latencyMs: number;
  /** Tracked frames per second over the last second. */
  fps: number;
}

type FrameSource = HTMLVideoElement | MediaStream;

/** Live tracking of one video; `stop()` ends it (and stops a video element it created). */
export class LiveFaceTracker extends EventTarget {
  private stopped = false;
  /** The frame being tracked, if any. */
  private inFlight: Promise<void> | null = null;
  private calibrating = false;
  private readonly recent: number[] = [];
  private readonly context: CanvasRenderingContext2D;

  constructor(
    private readonly avatar: Avatar,
    private readonly tracker: FrameTracker,
    /** True when the face models and the solve run in the avatar worker. */
    readonly inWorker: boolean,
    private readonly video: HTMLVideoElement,
    private readonly ownsVideo: boolean,
    private readonly options: LiveTrackingOptions,
  ) {
    super();
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Live tracking needs a 2D canvas.');
    this.context = context;
    this.schedule();
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.tracker.stop?.();
    if (this.ownsVideo) {
      this.video.pause();
      this.video.srcObject = null;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const video = this.video as HTMLVideoElement & { requestVideoFrameCallback?: (callback: () => void) => number };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => this.onVideoFrame());
    else requestAnimationFrame(() => this.onVideoFrame());
  }

  /**
   * Calibrates on the video's next frame, in which the person faces the camera with a neutral face
   * and looks into it (FaceTracker.calibrate: the landmark offsets, the irises, and that head pose
   * as straight ahead). Frame tracking waits meanwhile. Rejects with NO_FACE when the frame shows no
   * face; tracking then goes on with the previous calibration.
   */
  async calibrate(): Promise<TrackerCalibration> {
    if (this.stopped) throw new PhotoAvatarError('INVALID_ARGUMENT', 'This live tracker is stopped; start a new one to calibrate.');
    if (this.calibrating) throw new PhotoAvatarError('INVALID_ARGUMENT', 'A calibration is already running.');
    this.calibrating = true;
    try {
      await this.inFlight;
      if (!this.hasFrame()) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The video has no frame to calibrate on yet.');
      return await this.tracker.calibrate(this.grab());
    } finally {
      this.calibrating = false;
    }
  }

  private hasFrame(): boolean {
    return this.video.readyState >= 2 && this.video.videoWidth > 0;
  }

  private onVideoFrame(): void {
    if (this.stopped) return;
    this.schedule();
    if (this.inFlight || this.calibrating || !this.hasFrame()) return;
    this.inFlight = this.trackCurrentFrame().catch((error) => {
      this.dispatchEvent(new CustomEvent('error', { detail: error }));
    }).finally(() => { this.inFlight = null; });
  }

  private grab(): RgbaImage {
    const { videoWidth, videoHeight } = this.video;
    const scale = Math.min(1, (this.options.maxWidth ?? 640) / videoWidth);
    const width = Math.round(videoWidth * scale), height = Math.round(videoHeight * scale);
    const canvas = this.context.canvas;
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    this.context.drawImage(this.video, 0, 0, width, height);
    const pixels = this.context.getImageData(0, 0, width, height);
    return { width, height, data: pixels.data };
  }

  private async trackCurrentFrame(): Promise<void> {
    const started = performance.now();
    const timeSeconds = this.video.currentTime;
    const frame = await this.tracker.track(this.grab(), timeSeconds > 0 ? timeSeconds : started / 1000);
    if (this.stopped) return;
    if (frame && this.options.apply !== false && !this.avatar.isDisposed) applyTrackedFrame(this.avatar, frame);
    const now = performance.now();
    this.recent.push(now);
    while (this.recent.length > 0 && this.recent[0] < now - 1000) this.recent.shift();
    const detail: LiveFrameDetail = { frame, timeSeconds, latencyMs: now - started, fps: this.recent.length };
    this.dispatchEvent(new CustomEvent('frame', { detail }));
  }
}

/** Starts live tracking of `source` onto `avatar` (Avatar.trackFace calls this). */
export async function trackLive(avatar: Avatar, source: FrameSource, options: LiveTrackingOptions = {}): Promise<LiveFaceTracker> {
  if (typeof document === 'undefined') throw new PhotoAvatarError('INVALID_ARGUMENT', 'Live tracking runs in browsers; in Node use FaceTracker.track on decoded frames.');
  let video: HTMLVideoElement;
  let ownsVideo = false;
  if (typeof MediaStream !== 'undefined' && source instanceof MediaStream) {
    video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = source;
    ownsVideo = true;
    await video.play();
  } else if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
    video = source;
  } else {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'trackFace needs an HTMLVideoElement or a MediaStream.');
  }
  // The tracker gets its own options only (they cross to the worker).
  const { maxWidth: _maxWidth, apply: _apply, worker, ...trackerOptions } = options;
  if (worker !== false && workersAvailable()) {
    try {
      const tracker = await WorkerFaceTracker.create(avatar.data, trackerOptions);
      return new LiveFaceTracker(avatar, tracker, true, video, ownsVideo, options);
    } catch (error) {
      // The page can still track: say why the worker could not, then fall back.
      console.warn(`babylon-photo-avatar: live tracking runs on the main thread: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const tracker = await FaceTracker.create(avatar.data, trackerOptions);
  return new LiveFaceTracker(avatar, tracker, false, video, ownsVideo, options);
}
