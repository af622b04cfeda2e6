/** Mirror mode: the webcam drives the current avatar (Avatar.trackFace), with a latency and fps readout. */
import type { Avatar } from '../src/plugin/avatar.js';
import type { LiveFaceTracker, LiveFrameDetail } from '../src/tracking/live.js';

export interface MirrorMode {
  /** Starts mirroring onto the current avatar, or stops when running; resolves once the camera runs. */
  toggle(): Promise<void>;
  readonly running: boolean;
}

/**
 * Binds the #mirror button to the avatar `currentAvatar` returns: `onReadout` gets a line per
 * tracked frame (fps, latency, head yaw) and error messages; `onFrame` runs after each frame is
 * applied (the stage renders on demand, so it must be asked to draw the new pose).
 */
export function bindMirrorMode(currentAvatar: () => Avatar | null, onReadout: (line: string, isError?: boolean) => void, onFrame: () => void): MirrorMode {
  const button = document.getElementById('mirror') as HTMLButtonElement | null;
  let live: LiveFaceTracker | null = null;
  let stream: MediaStream | null = null;
  const stop = () => {
    live?.stop();
    live = null;
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    if (button) button.textContent = 'Mirror (webcam)';
  };
  const mode: MirrorMode = {
    get running() { return live !== null; },
    async toggle() {
      if (live) { stop(); return; }
      const avatar = currentAvatar();
      if (!avatar) { onReadout('Mirror: create an avatar first.', true); return; }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
        live = await avatar.trackFace(stream);
        live.addEventListener('frame', (event) => {
          const { frame, latencyMs, fps } = (event as CustomEvent<LiveFrameDetail>).detail;
          onFrame();
          const where = live?.inWorker ? 'in the worker' : 'on the main thread';
          onReadout(`Mirror: ${fps} fps, latency ${latencyMs.toFixed(0)} ms, ${frame ? `yaw ${frame.pose.yawDeg.toFixed(0)}°` : 'no face'} (tracking ${where})`);
        });
        live.addEventListener('error', (event) => onReadout(`Mirror failed: ${String((event as CustomEvent).detail)}`, true));
        if (button) button.textContent = 'Stop mirror';
      } catch (error) {
        stop();
        onReadout(`Mirror failed: ${(error as Error).message}`, true);
      }
    },
  };
  button?.addEventListener('click', () => { void mode.toggle(); });
  return mode;
}
