/**
 * Webcam capture for the editor panel: opens the user-facing camera into a <video>, grabs one
 * frame as a canvas, and turns getUserMedia's failures into sentences a user can act on.
 */

/** Thrown (as a plain Error) with a message meant for the user. */
export class WebcamUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebcamUnavailableError';
  }
}

function explain(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow the camera for this page in the browser\'s site settings, or pick a photo instead.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one, or pick a photo instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is in use by another application or could not be started. Close that application, or pick a photo instead.';
    default:
      return `The camera could not be opened (${error instanceof Error ? error.message : String(error)}). Pick a photo instead.`;
  }
}

export class WebcamCapture {
  private stream: MediaStream | null = null;

  constructor(readonly video: HTMLVideoElement) {
    video.muted = true;
    video.playsInline = true;
  }

  get isOpen(): boolean {
    return this.stream !== null;
  }

  /** Starts the camera preview; rejects with WebcamUnavailableError when there is none or access is refused. */
  async open(): Promise<void> {
    if (this.stream) return;
    const mediaDevices = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    if (!mediaDevices?.getUserMedia) {
      // Browsers hide mediaDevices outside secure contexts, which is the usual cause here.
      throw new WebcamUnavailableError('This page cannot use a camera (it needs https or localhost, and a browser with camera support). Pick a photo instead.');
    }
    let stream: MediaStream;
    try {
      stream = await mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false });
    } catch (error) {
      throw new WebcamUnavailableError(explain(error), { cause: error });
    }
    this.stream = stream;
    this.video.srcObject = stream;
    try {
      await this.video.play();
    } catch (error) {
      this.close();
      throw new WebcamUnavailableError(explain(error), { cause: error });
    }
  }

  /** The current frame, unmirrored (the preview is mirrored by CSS only, like a mirror; photos are not). */
  capture(): HTMLCanvasElement {
    const { videoWidth, videoHeight } = this.video;
    if (!this.stream || !videoWidth || !videoHeight) throw new WebcamUnavailableError('The camera has not delivered a picture yet; try again in a moment.');
    const canvas = this.video.ownerDocument.createElement('canvas');
    canvas.width = videoWidth;
    canvas.height = videoHeight;
    const context = canvas.getContext('2d');
    if (!context) throw new WebcamUnavailableError('This browser cannot copy camera frames (no 2D canvas).');
    context.drawImage(this.video, 0, 0, videoWidth, videoHeight);
    return canvas;
  }

  close(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.pause();
    this.video.srcObject = null;
  }
}
