/**
 * Mirror mode: the webcam drives the current avatar (Avatar.trackFace), with a latency and fps readout.
 * `?mesh=attention` (or `attentionIris`) tracks with MediaPipe's attention FaceMesh instead of FaceMesh + Iris.
 */
import { MESH_MODELS, type MeshModel } from '../src/inference/face/analyzer.js';
import type { Avatar } from '../src/plugin/avatar.js';
import type { TrackerCalibration } from '../src/tracking/face-tracker.js';
import type { LiveFaceTracker, LiveFrameDetail } from '../src/tracking/live.js';

/** What Mirror mode has tracked since it last started (for tests and the console). */
export interface MirrorStats {
  meshModel: MeshModel;
  /** Frames the tracker answered, and those in which it found the face. */
  frames: number;
  framesWithFace: number;
  /** The latest frame with a face: its expression weights (0..1), head yaw, and mean landmark error (px). */
  last: { weights: number[]; yawDeg: number; landmarkErrorPx: number } | null;
}

export interface MirrorMode {
  /** Starts mirroring onto the current avatar, or stops when running; resolves once the camera runs. */
  toggle(): Promise<void>;
  /** Calibrates on the camera's next frame (the person faces it, neutral); resolves with the head pose that frame showed. */
  calibrate(): Promise<TrackerCalibration>;
  readonly running: boolean;
  readonly stats: MirrorStats;
}

/** `?mesh=attention|attentionIris|faceMesh` picks the tracker's landmark model (default faceMesh). */
export function requestedMeshModel(search: string): MeshModel {
  const value = new URLSearchParams(search).get('mesh');
  return MESH_MODELS.find((model) => model === value) ?? 'faceMesh';
}

/**
 * Binds the #mirror button to the avatar `currentAvatar` returns: `onReadout` gets a line per
 * tracked frame (fps, latency, head yaw) and error messages; `onFrame` runs after each frame is
 * applied (the stage renders on demand, so it must be asked to draw the new pose).
 */
export function bindMirrorMode(
  currentAvatar: () => Avatar | null,
  onReadout: (line: string, isError?: boolean) => void,
  onFrame: () => void,
  meshModel: MeshModel = 'faceMesh',
): MirrorMode {
  const button = document.getElementById('mirror') as HTMLButtonElement | null;
  const calibrateButton = document.getElementById('calibrate') as HTMLButtonElement | null;
  let live: LiveFaceTracker | null = null;
  let stream: MediaStream | null = null;
  let stats: MirrorStats = { meshModel, frames: 0, framesWithFace: 0, last: null };
  const meshLabel = meshModel === 'faceMesh' ? '' : `, ${meshModel} mesh`;
  const stop = () => {
    live?.stop();
    live = null;
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    if (button) button.textContent = 'Mirror (webcam)';
    if (calibrateButton) calibrateButton.disabled = true;
  };
  const mode: MirrorMode = {
    get running() { return live !== null; },
    get stats() { return stats; },
    async toggle() {
      if (live) { stop(); return; }
      const avatar = currentAvatar();
      if (!avatar) { onReadout('Mirror: create an avatar first.', true); return; }
      try {
        stats = { meshModel, frames: 0, framesWithFace: 0, last: null };
        stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
        live = await avatar.trackFace(stream, { meshModel });
        live.addEventListener('frame', (event) => {
          const { frame, latencyMs, fps } = (event as CustomEvent<LiveFrameDetail>).detail;
          stats.frames++;
          if (frame) {
            stats.framesWithFace++;
            stats.last = { weights: Array.from(frame.weights), yawDeg: frame.pose.yawDeg, landmarkErrorPx: frame.landmarkErrorPx };
          }
          onFrame();
          const where = live?.inWorker ? 'in the worker' : 'on the main thread';
          onReadout(`Mirror: ${fps} fps, latency ${latencyMs.toFixed(0)} ms, ${frame ? `yaw ${frame.pose.yawDeg.toFixed(0)}°` : 'no face'} (tracking ${where}${meshLabel})`);
        });
        live.addEventListener('error', (event) => onReadout(`Mirror failed: ${String((event as CustomEvent).detail)}`, true));
        if (button) button.textContent = 'Stop mirror';
        if (calibrateButton) calibrateButton.disabled = false;
      } catch (error) {
        stop();
        onReadout(`Mirror failed: ${(error as Error).message}`, true);
      }
    },
    async calibrate() {
      if (!live) throw new Error('Start Mirror mode first.');
      onReadout('Mirror: calibrating, face the camera with a neutral face...');
      const calibration = await live.calibrate();
      const { yawDeg, pitchDeg, rollDeg } = calibration.framePose;
      onReadout(`Mirror: calibrated; that pose (yaw ${yawDeg.toFixed(0)}°, pitch ${pitchDeg.toFixed(0)}°, roll ${rollDeg.toFixed(0)}°) is now straight ahead`);
      return calibration;
    },
  };
  button?.addEventListener('click', () => { void mode.toggle(); });
  calibrateButton?.addEventListener('click', () => {
    mode.calibrate().catch((error) => onReadout(`Calibration failed: ${(error as Error).message}`, true));
  });
  return mode;
}
