/**
 * "Create avatar from photo" as a self-contained editor command for any Babylon.js page: a DOM
 * panel to pick, drop or webcam-capture photos, stage-by-stage progress with Cancel, the new head
 * previewed in the scene, Accept / Discard, and .avatar / .glb downloads.
 *
 *   const action = new CreateAvatarAction(scene, { onAccept: (avatar) => game.addHead(avatar) });
 *   button.onclick = () => action.open();
 *
 * The panel is plain DOM (no Babylon GUI texture to size, no extra dependency) so it works beside
 * the canvas, inside the Inspector (see inspectorExplorerExtension) and in host editors alike.
 */
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import type { IExplorerExtensibilityGroup } from '@babylonjs/core/Debug/debugLayer.pure.js';
import type { Scene } from '@babylonjs/core/scene.js';
import { frameAvatar } from '../frame-avatar.js';
import { PhotoAvatarError } from '../../errors.js';
import { DEFAULT_HAIR_TONE, HAIR_STYLES, isHairStyle, supportsHair } from '../../hair/index.js';
import { hairColourHex } from '../../hair/colour-space.js';
import { describeFaces } from '../../inference/face/face-choice.js';
import type { Backend } from '../../inference/runtime.js';
import type { ProgressEvent, StageName } from '../../types.js';
import type { Avatar } from '../avatar.js';
import { createAvatarFromPhoto, type PhotoAvatarOptions, type PhotoSource } from '../create-avatar.js';
import { CLASS_PREFIX, releaseStyles, retainStyles } from './styles.js';
import { WebcamCapture } from './webcam.js';

/** What one creation may set beyond the panel's own options (`createOptions`). */
export type CreateOverrides = Pick<PhotoAvatarOptions, 'backend' | 'worker' | 'workerTimeoutMs' | 'subsurface' | 'faceIndex'>;

/**
 * closed: panel hidden · idle: waiting for photos · working: creating · preview: a new avatar is in
 * the scene awaiting Accept/Discard · accepted: the last avatar was kept · error: the last try failed.
 */
export type CreateAvatarActionState = 'closed' | 'idle' | 'working' | 'preview' | 'accepted' | 'error';

export interface CreateAvatarActionOptions {
  /** Element the panel is placed in. Default: a floating panel on the page's body, hidden until open(). */
  container?: HTMLElement;
  /** Inference backend for face analysis and fitting (default 'auto': WebGPU when available). */
  backend?: 'auto' | Backend;
  /** Further pipeline settings (model pack, texture size, face index...). */
  createOptions?: Omit<PhotoAvatarOptions, 'backend' | 'onProgress' | 'signal'>;
  /** Panel heading. */
  title?: string;
  /** Point an ArcRotateCamera that is the scene's active camera at each new avatar (default true). */
  frameCamera?: boolean;
  /** A new avatar is in the scene, awaiting Accept or Discard. */
  onPreview?: (avatar: Avatar) => void;
  /** The user (or accept()) kept the previewed avatar; it stays in the scene and is the app's to own. */
  onAccept?: (avatar: Avatar) => void;
  /** The previewed avatar is about to be disposed (Discard, or a newer creation replaced it). */
  onDiscard?: (avatar: Avatar) => void;
  onProgress?: (event: ProgressEvent) => void;
  onStateChange?: (state: CreateAvatarActionState) => void;
  /** Creation failed (cancellation included: its error has code 'ABORTED'). */
  onError?: (error: unknown) => void;
  /** The panel changed the avatar on show (its hair style or colour): re-render if the app renders on demand. */
  onAvatarChange?: (avatar: Avatar) => void;
}

const STAGES: readonly StageName[] = ['load', 'detect', 'landmarks', 'fit', 'albedo', 'build'];
const STAGE_LABELS: Record<StageName, string> = {
  load: 'Loading models',
  detect: 'Detecting the face',
  landmarks: 'Finding landmarks',
  fit: 'Fitting the head',
  albedo: 'Extracting skin texture',
  build: 'Building the avatar',
};

/** Files that are not images are skipped, since a drop often carries sidecar files. */
function imageFiles(files: FileList | readonly File[] | null | undefined): File[] {
  return Array.from(files ?? []).filter((file) => file.type.startsWith('image/') || /\.(jpe?g|png|webp|gif|bmp|avif)$/i.test(file.name));
}

/** 'Emma Watson (2).JPG' -> 'Emma-Watson-2': a safe base for the downloads' names. */
function fileBaseName(photo: PhotoSource | undefined): string {
  const name = typeof File !== 'undefined' && photo instanceof File ? photo.name.replace(/\.[^.]*$/, '') : '';
  const safe = name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '');
  return safe || 'avatar';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let panelCount = 0;

export class CreateAvatarAction {
  /** The panel's root element (class `pavatar-panel`). */
  readonly element: HTMLElement;
  private readonly options: CreateAvatarActionOptions;
  private readonly doc: Document;
  private readonly floating: boolean;
  private currentState: CreateAvatarActionState = 'closed';
  private pending: AbortController | null = null;
  private previewed: Avatar | null = null;
  private accepted: Avatar | null = null;
  private downloadName = 'avatar';
  /** The last creation's photos and overrides: the face picker makes another face of the same photo. */
  private lastCreation: { photos: PhotoSource[]; overrides: CreateOverrides } | null = null;
  private readonly objectUrls = new Set<string>();
  private readonly revokeTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly webcam: WebcamCapture;
  private readonly removeListeners: (() => void)[] = [];
  private disposed = false;

  private readonly controls: {
    close: HTMLButtonElement;
    fileInput: HTMLInputElement;
    drop: HTMLButtonElement;
    webcamStart: HTMLButtonElement;
    webcamPanel: HTMLElement;
    webcamCapture: HTMLButtonElement;
    webcamStop: HTMLButtonElement;
    progressPanel: HTMLElement;
    progressBar: HTMLProgressElement;
    stageLabel: HTMLElement;
    stageItems: Map<StageName, HTMLLIElement>;
    cancel: HTMLButtonElement;
    message: HTMLElement;
    resultPanel: HTMLElement;
    accept: HTMLButtonElement;
    discard: HTMLButtonElement;
    downloadAvatar: HTMLButtonElement;
    downloadGlb: HTMLButtonElement;
    hairRow: HTMLElement;
    hairStyle: HTMLSelectElement;
    hairColour: HTMLInputElement;
    faceRow: HTMLElement;
    faceChoice: HTMLSelectElement;
  };

  constructor(readonly scene: Scene, options: CreateAvatarActionOptions = {}) {
    this.options = options;
    this.doc = options.container?.ownerDocument ?? document;
    this.floating = !options.container;
    retainStyles(this.doc);
    const id = `${CLASS_PREFIX}-${++panelCount}`;
    const { element, controls } = this.buildPanel(id, options.title ?? 'Create avatar from photo');
    this.element = element;
    this.controls = controls;
    this.webcam = new WebcamCapture(controls.webcamPanel.querySelector('video')!);
    this.bindEvents();
    (options.container ?? this.doc.body).append(element);
    if (this.floating) element.hidden = true;
    else this.setState('idle');
    this.refreshButtons();
    // The action outlives no scene: a disposed scene takes its panel (and any avatar in preview) along.
    const observer = scene.onDisposeObservable.addOnce(() => this.dispose());
    this.removeListeners.push(() => scene.onDisposeObservable.remove(observer));
  }

  get state(): CreateAvatarActionState {
    return this.currentState;
  }

  /** The avatar in preview, else the last accepted one (null after Discard). */
  get avatar(): Avatar | null {
    return this.previewed ?? this.accepted;
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  open(): void {
    this.checkAlive();
    this.element.hidden = false;
    if (this.currentState === 'closed') this.setState(this.previewed ? 'preview' : 'idle');
    this.controls.drop.focus();
  }

  /** Hides the panel (a creation under way goes on; an avatar in preview stays in preview). */
  close(): void {
    if (this.disposed) return;
    this.webcam.close();
    this.controls.webcamPanel.hidden = true;
    this.element.hidden = true;
    if (this.currentState === 'idle' || this.currentState === 'accepted' || this.currentState === 'error') this.setState('closed');
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /**
   * Creates an avatar from one photo or several of the same person, exactly as the panel's
   * controls do, and leaves it in preview. A creation under way is cancelled, and an avatar still
   * in preview is discarded. Rejects with PhotoAvatarError (code 'ABORTED' when cancelled).
   */
  async create(photos: PhotoSource | readonly PhotoSource[], overrides: CreateOverrides = {}): Promise<Avatar> {
    this.checkAlive();
    const list = Array.isArray(photos) ? [...photos] as PhotoSource[] : [photos as PhotoSource];
    if (list.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'No photo was given.');
    // Another face of the same photos keeps the face picker up, so that a face that fails (a
    // profile, too small) leaves the others one pick away; new photos hide it until their avatar.
    const sameFaces = !!this.lastCreation && this.lastCreation.photos.length === list.length && list.every((photo, i) => photo === this.lastCreation!.photos[i]);
    if (!sameFaces) this.controls.faceRow.hidden = true;
    this.lastCreation = { photos: list, overrides };
    this.cancel();
    this.discardPreview();
    const controller = new AbortController();
    this.pending = controller;
    this.downloadName = fileBaseName(list[0]);
    this.startProgress(list.length);
    this.setState('working');
    try {
      const avatar = await createAvatarFromPhoto(this.scene, list.length === 1 ? list[0] : list, {
        ...this.options.createOptions,
        backend: overrides.backend ?? this.options.backend ?? 'auto',
        ...(overrides.worker !== undefined ? { worker: overrides.worker } : {}),
        ...(overrides.workerTimeoutMs !== undefined ? { workerTimeoutMs: overrides.workerTimeoutMs } : {}),
        ...(overrides.subsurface !== undefined ? { subsurface: overrides.subsurface } : {}),
        ...(overrides.faceIndex !== undefined ? { faceIndex: overrides.faceIndex } : {}),
        signal: controller.signal,
        onProgress: (event) => {
          if (controller.signal.aborted) return;
          this.showProgress(event);
          this.options.onProgress?.(event);
        },
      });
      if (controller.signal.aborted || this.disposed) {
        avatar.dispose();
        throw new PhotoAvatarError('ABORTED', 'Avatar creation was cancelled.');
      }
      this.previewed = avatar;
      if (this.options.frameCamera !== false) this.frameCamera(avatar);
      this.setMessage(`Preview: ${avatar.head.getTotalVertices()} vertices, inference on ${avatar.data.backend}. Accept to keep it.`);
      this.setState('preview');
      this.showHair(avatar);
      this.showFaces(avatar);
      this.options.onPreview?.(avatar);
      this.controls.accept.focus();
      return avatar;
    } catch (error) {
      // A creation replaced by a newer one only tells its own caller; the panel shows the newer one.
      const superseded = this.pending !== controller && this.pending !== null;
      if (!superseded && !this.disposed) {
        const aborted = error instanceof PhotoAvatarError && error.code === 'ABORTED';
        this.setMessage(aborted ? 'Cancelled.' : `Could not create the avatar: ${describe(error)}`, !aborted);
        this.setState(aborted ? (this.accepted ? 'accepted' : 'idle') : 'error');
        this.options.onError?.(error);
      }
      throw error;
    } finally {
      if (this.pending === controller) this.pending = null;
      if (!this.pending && !this.disposed) this.controls.progressPanel.hidden = true;
      this.refreshButtons();
    }
  }

  /** Stops a creation under way (its promise rejects with code 'ABORTED'). */
  cancel(): void {
    if (!this.pending) return;
    this.pending.abort(new PhotoAvatarError('ABORTED', 'Avatar creation was cancelled.'));
    this.pending = null;
  }

  /** Keeps the avatar in preview: it stays in the scene, onAccept receives it. */
  accept(): Avatar {
    const avatar = this.previewed;
    if (!avatar) throw new PhotoAvatarError('INVALID_ARGUMENT', 'There is no avatar in preview to accept.');
    this.previewed = null;
    this.accepted = avatar;
    this.setMessage('Avatar added to the scene.');
    this.setState('accepted');
    this.options.onAccept?.(avatar);
    return avatar;
  }

  /** Removes the avatar in preview from the scene. */
  discard(): void {
    if (!this.previewed) return;
    this.discardPreview();
    this.setMessage('Discarded.');
    this.setState('idle');
  }

  /** Saves the current avatar as `<photo name>.avatar` (compact: coefficients and albedo). */
  downloadAvatarFile(): void {
    const avatar = this.requireAvatar();
    this.download(avatar.serialize(), `${this.downloadName}.avatar`, 'application/octet-stream');
  }

  /** Saves the current avatar as a self-contained compact `<photo name>.glb` (Avatar.exportCompactGLB). */
  async downloadGlb(): Promise<void> {
    const avatar = this.requireAvatar();
    this.download(await avatar.exportCompactGLB(), `${this.downloadName}.glb`, 'model/gltf-binary');
  }

  /**
   * Makes another element (the 3D view, say) accept dropped photos too; while files hover over it,
   * it carries the class `pavatar-dragging`. Returns a function that detaches it (dispose() does too).
   */
  addDropTarget(target: HTMLElement): () => void {
    this.checkAlive();
    const draggingClass = `${CLASS_PREFIX}-dragging`;
    const onDragOver = (event: DragEvent) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      target.classList.add(draggingClass);
    };
    const onDragLeave = () => target.classList.remove(draggingClass);
    const onDrop = (event: DragEvent) => {
      event.preventDefault();
      target.classList.remove(draggingClass);
      this.runFromUi(imageFiles(event.dataTransfer?.files));
    };
    target.addEventListener('dragover', onDragOver);
    target.addEventListener('dragleave', onDragLeave);
    target.addEventListener('drop', onDrop);
    const detach = () => {
      target.removeEventListener('dragover', onDragOver);
      target.removeEventListener('dragleave', onDragLeave);
      target.removeEventListener('drop', onDrop);
      target.classList.remove(draggingClass);
    };
    this.removeListeners.push(detach);
    return detach;
  }

  /** Opens the webcam preview inside the panel; failures are shown in the panel and rethrown. */
  async startWebcam(): Promise<void> {
    this.checkAlive();
    this.controls.webcamPanel.hidden = false;
    this.setMessage('Opening the camera...');
    try {
      await this.webcam.open();
      this.setMessage('Look at the camera, then take the photo.');
      this.controls.webcamCapture.focus();
    } catch (error) {
      this.controls.webcamPanel.hidden = true;
      this.setMessage(describe(error), true);
      this.controls.webcamStart.focus();
      throw error;
    } finally {
      this.refreshButtons();
    }
  }

  stopWebcam(): void {
    this.webcam.close();
    this.controls.webcamPanel.hidden = true;
    this.refreshButtons();
  }

  /** Removes the panel, its listeners and styles; cancels any creation and discards an avatar in preview. Accepted avatars stay. */
  dispose(): void {
    if (this.disposed) return;
    this.cancel();
    this.discardPreview();
    this.webcam.close();
    this.disposed = true;
    for (const remove of this.removeListeners.splice(0)) remove();
    for (const timer of this.revokeTimers) clearTimeout(timer);
    this.revokeTimers.clear();
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
    this.objectUrls.clear();
    this.element.remove();
    releaseStyles(this.doc);
    this.accepted = null;
    this.currentState = 'closed';
  }

  // ------------------------------------------------------------------------------------------
  // Internals

  private checkAlive(): void {
    if (this.disposed) throw new PhotoAvatarError('INVALID_ARGUMENT', 'This CreateAvatarAction has been disposed.');
  }

  private requireAvatar(): Avatar {
    const avatar = this.avatar;
    if (!avatar || avatar.isDisposed) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Create an avatar first.');
    return avatar;
  }

  private discardPreview(): void {
    const avatar = this.previewed;
    if (!avatar) return;
    this.previewed = null;
    this.options.onDiscard?.(avatar);
    avatar.dispose();
    this.refreshButtons();
  }

  private setState(state: CreateAvatarActionState): void {
    this.currentState = state;
    this.element.dataset.state = state;
    this.refreshButtons();
    this.options.onStateChange?.(state);
  }

  private refreshButtons(): void {
    const c = this.controls;
    const working = this.currentState === 'working';
    const hasAvatar = !!this.avatar && !this.avatar.isDisposed;
    c.resultPanel.hidden = !hasAvatar;
    c.accept.disabled = !this.previewed;
    c.discard.disabled = !this.previewed;
    c.downloadAvatar.disabled = !hasAvatar;
    c.downloadGlb.disabled = !hasAvatar;
    c.webcamStart.disabled = this.webcam.isOpen;
    c.webcamCapture.disabled = !this.webcam.isOpen || working;
    c.cancel.disabled = !working;
    c.faceChoice.disabled = working;
  }

  /**
   * A group photo's faces, left to right, the avatar's selected: picking another makes that face's
   * avatar from the same photo. Hidden for one face, and for several photos of one person. It sits
   * outside the result panel, which an avatar that failed leaves hidden.
   */
  private showFaces(avatar: Avatar): void {
    const c = this.controls;
    const faces = avatar.data.facesInPhoto;
    c.faceRow.hidden = !faces || faces.boxes.length < 2 || !!avatar.data.views;
    if (c.faceRow.hidden) return;
    c.faceChoice.replaceChildren(...describeFaces(faces!).map((face) => {
      const option = this.doc.createElement('option');
      option.value = String(face.index);
      option.textContent = face.label;
      option.selected = face.chosen;
      return option;
    }));
  }

  /** The hair picker shows the avatar's style and colour; heads that take no hair hide it. */
  private showHair(avatar: Avatar): void {
    const c = this.controls;
    c.hairRow.hidden = !supportsHair(avatar.data.model);
    c.hairStyle.value = avatar.data.hair?.style ?? '';
    c.hairColour.value = hairColourHex(avatar.data.hair?.base ?? DEFAULT_HAIR_TONE.base);
  }

  private async changeHair(change: (avatar: Avatar) => Promise<void>): Promise<void> {
    const avatar = this.requireAvatar();
    await change(avatar);
    if (!avatar.isDisposed) this.options.onAvatarChange?.(avatar);
  }

  private setMessage(text: string, isError = false): void {
    const message = this.controls.message;
    message.textContent = text;
    message.classList.toggle(`${CLASS_PREFIX}-error`, isError);
    // Errors interrupt screen readers; progress notes wait their turn.
    message.setAttribute('role', isError ? 'alert' : 'status');
  }

  private startProgress(photoCount: number): void {
    const c = this.controls;
    c.progressPanel.hidden = false;
    c.progressBar.value = 0;
    c.stageLabel.textContent = photoCount > 1 ? `Starting (${photoCount} photos)` : 'Starting';
    for (const item of c.stageItems.values()) item.dataset.state = 'pending';
    this.setMessage('');
    c.cancel.disabled = false;
  }

  /** Stages run in a fixed order, so the bar is (finished stages + fraction of this one) / count. */
  private showProgress(event: ProgressEvent): void {
    const c = this.controls;
    const index = STAGES.indexOf(event.stage);
    c.progressBar.value = (Math.max(0, index) + event.progress) / STAGES.length;
    c.stageLabel.textContent = `${STAGE_LABELS[event.stage] ?? event.stage}${event.message ? `: ${event.message}` : ''} (${index + 1}/${STAGES.length})`;
    STAGES.forEach((stage, i) => {
      const item = c.stageItems.get(stage)!;
      item.dataset.state = i < index || (i === index && event.progress >= 1) ? 'done' : i === index ? 'active' : 'pending';
    });
  }

  private download(bytes: Uint8Array, fileName: string, type: string): void {
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    this.objectUrls.add(url);
    const link = this.doc.createElement('a');
    link.href = url;
    link.download = fileName;
    link.hidden = true;
    this.element.append(link);
    link.click();
    link.remove();
    // Revoking at once can cancel the download in some browsers; a minute is ample to start it.
    const timer = setTimeout(() => {
      this.revokeTimers.delete(timer);
      this.objectUrls.delete(url);
      URL.revokeObjectURL(url);
    }, 60_000);
    this.revokeTimers.add(timer);
    this.setMessage(`Saved ${fileName} (${(bytes.byteLength / 1024).toFixed(0)} KB).`);
  }

  /** Looks at the head from the front through the camera's own lens (frameAvatar), filling the view. */
  private frameCamera(avatar: Avatar): void {
    const camera = this.scene.activeCamera;
    if (camera instanceof ArcRotateCamera) frameAvatar(camera, avatar);
  }

  private runFromUi(photos: PhotoSource[]): void {
    if (photos.length === 0) {
      this.setMessage('Those files are not images. Pick JPEG, PNG or WebP photos.', true);
      return;
    }
    // Failures are already on the panel (and passed to onError); nothing else to do with them here.
    this.create(photos).catch(() => undefined);
  }

  private bindEvents(): void {
    const c = this.controls;
    const listen = <K extends keyof HTMLElementEventMap>(target: HTMLElement, type: K, handler: (event: HTMLElementEventMap[K]) => void) => {
      target.addEventListener(type, handler);
      this.removeListeners.push(() => target.removeEventListener(type, handler));
    };
    listen(c.close, 'click', () => this.close());
    listen(c.drop, 'click', () => c.fileInput.click());
    listen(c.fileInput, 'change', () => {
      const files = imageFiles(c.fileInput.files);
      c.fileInput.value = '';
      this.runFromUi(files);
    });
    this.addDropTarget(c.drop);
    listen(c.webcamStart, 'click', () => {
      this.startWebcam().catch(() => undefined);
    });
    listen(c.webcamCapture, 'click', () => {
      let frame: HTMLCanvasElement;
      try {
        frame = this.webcam.capture();
      } catch (error) {
        this.setMessage(describe(error), true);
        return;
      }
      this.stopWebcam();
      this.runFromUi([frame]);
    });
    listen(c.webcamStop, 'click', () => this.stopWebcam());
    listen(c.cancel, 'click', () => this.cancel());
    listen(c.accept, 'click', () => this.accept());
    listen(c.discard, 'click', () => this.discard());
    listen(c.downloadAvatar, 'click', () => this.guarded(() => this.downloadAvatarFile()));
    listen(c.downloadGlb, 'click', () => this.guarded(() => this.downloadGlb()));
    listen(c.hairStyle, 'change', () => this.guarded(() => this.changeHair((avatar) => {
      const style = c.hairStyle.value;
      return avatar.setHair(isHairStyle(style) ? style : null);
    })));
    listen(c.faceChoice, 'change', () => {
      const last = this.lastCreation;
      if (!last) return;
      // Failures are on the panel, as for a photo picked there.
      this.create(last.photos, { ...last.overrides, faceIndex: Number(c.faceChoice.value) }).catch(() => undefined);
    });
    // 'change', not 'input': the colour dialog fires input on every drag step, and each retints the texture.
    listen(c.hairColour, 'change', () => this.guarded(() => this.changeHair((avatar) => avatar.setHairColor(c.hairColour.value))));
    listen(this.element, 'keydown', (event) => {
      if (event.key !== 'Escape') return;
      if (this.currentState === 'working') this.cancel();
      else if (this.floating) this.close();
    });
  }

  private guarded(work: () => void | Promise<void>): void {
    try {
      const pending = work();
      if (pending) pending.catch((error: unknown) => this.setMessage(describe(error), true));
    } catch (error) {
      this.setMessage(describe(error), true);
    }
  }

  private buildPanel(id: string, title: string): { element: HTMLElement; controls: CreateAvatarAction['controls'] } {
    const doc = this.doc;
    const make = <K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] => {
      const node = doc.createElement(tag);
      if (className) node.className = className.split(' ').map((name) => `${CLASS_PREFIX}-${name}`).join(' ');
      if (text !== undefined) node.textContent = text;
      return node;
    };
    const button = (text: string, className?: string, label?: string): HTMLButtonElement => {
      const node = make('button', className, text);
      node.type = 'button';
      if (label) node.setAttribute('aria-label', label);
      return node;
    };

    const element = make('section', `panel${this.floating ? ' floating' : ''}`);
    element.id = id;
    element.setAttribute('aria-labelledby', `${id}-title`);
    if (this.floating) element.setAttribute('role', 'dialog');

    const header = make('div', 'header');
    const heading = make('h2', 'title', title);
    heading.id = `${id}-title`;
    const close = button('\u00d7', 'close', 'Close the avatar panel');
    if (!this.floating) close.hidden = true;
    header.append(heading, close);

    const fileInput = make('input', 'file-input');
    fileInput.type = 'file';
    fileInput.accept = 'image/*';
    fileInput.multiple = true;
    fileInput.tabIndex = -1;
    fileInput.setAttribute('aria-hidden', 'true');
    const drop = button('', 'drop');
    drop.dataset.action = 'pick-photos';
    drop.append(make('span', undefined, 'Choose or drop face photos'), doc.createElement('br'), make('span', 'hint', 'One photo, or several of the same person'));
    drop.setAttribute('aria-label', 'Choose face photos (or drop image files here)');

    const webcamStart = button('Use webcam', undefined, 'Take a photo with the webcam');
    webcamStart.dataset.action = 'webcam';
    const sourceRow = make('div', 'row');
    sourceRow.append(webcamStart);

    const webcamPanel = make('div', 'webcam');
    webcamPanel.hidden = true;
    const video = make('video');
    video.setAttribute('aria-label', 'Webcam preview');
    const webcamCapture = button('Take photo', 'primary');
    const webcamStop = button('Stop camera');
    const webcamRow = make('div', 'row');
    webcamRow.append(webcamCapture, webcamStop);
    webcamPanel.append(video, webcamRow);

    const progressPanel = make('div', 'progress');
    progressPanel.hidden = true;
    const progressBar = make('progress');
    progressBar.max = 1;
    progressBar.value = 0;
    progressBar.setAttribute('aria-labelledby', `${id}-stage`);
    const stageLabel = make('div', 'stage-label');
    stageLabel.id = `${id}-stage`;
    stageLabel.setAttribute('aria-live', 'polite');
    const stageList = make('ol', 'stages');
    stageList.setAttribute('aria-label', 'Stages');
    const stageItems = new Map<StageName, HTMLLIElement>();
    for (const stage of STAGES) {
      const item = make('li', undefined, STAGE_LABELS[stage]);
      item.dataset.stage = stage;
      item.dataset.state = 'pending';
      stageItems.set(stage, item);
      stageList.append(item);
    }
    const cancel = button('Cancel', undefined, 'Cancel avatar creation');
    cancel.dataset.action = 'cancel';
    const cancelRow = make('div', 'row');
    cancelRow.append(cancel);
    progressPanel.append(progressBar, stageLabel, stageList, cancelRow);

    const message = make('div', 'message');
    message.setAttribute('role', 'status');

    const resultPanel = make('div', 'result');
    resultPanel.hidden = true;
    const accept = button('Accept', 'primary', 'Accept: keep the avatar in the scene');
    accept.dataset.action = 'accept';
    const discard = button('Discard', undefined, 'Discard the previewed avatar');
    discard.dataset.action = 'discard';
    const downloadAvatar = button('Download .avatar', undefined, 'Download the avatar as a compact .avatar file');
    downloadAvatar.dataset.action = 'download-avatar';
    const downloadGlb = button('Download .glb', undefined, 'Download the avatar as a GLB model');
    downloadGlb.dataset.action = 'download-glb';
    const decisionRow = make('div', 'row');
    decisionRow.append(accept, discard);
    const downloadRow = make('div', 'row');
    downloadRow.append(downloadAvatar, downloadGlb);
    const hairRow = make('div', 'row hair');
    const hairStyle = make('select');
    hairStyle.dataset.action = 'hair-style';
    hairStyle.setAttribute('aria-label', 'Hair style');
    for (const [value, text] of [['', 'No hair'], ...HAIR_STYLES.map((style) => [style, style])]) {
      const option = make('option', undefined, text);
      option.value = value;
      hairStyle.append(option);
    }
    const hairColour = make('input');
    hairColour.type = 'color';
    hairColour.dataset.action = 'hair-colour';
    hairColour.setAttribute('aria-label', 'Hair colour');
    const hairLabel = make('label', undefined, 'Hair ');
    hairLabel.append(hairStyle);
    hairRow.append(hairLabel, hairColour);
    const faceRow = make('div', 'row face');
    faceRow.hidden = true;
    const faceChoice = make('select');
    faceChoice.dataset.action = 'face';
    faceChoice.setAttribute('aria-label', 'Which face of the photo');
    const faceLabel = make('label', undefined, 'Face ');
    faceLabel.append(faceChoice);
    faceRow.append(faceLabel);
    resultPanel.append(decisionRow, downloadRow, hairRow);

    element.append(header, fileInput, drop, sourceRow, webcamPanel, progressPanel, message, faceRow, resultPanel);
    return {
      element,
      controls: {
        close, fileInput, drop, webcamStart, webcamPanel, webcamCapture, webcamStop, progressPanel, progressBar, stageLabel,
        stageItems, cancel, message, resultPanel, accept, discard, downloadAvatar, downloadGlb, hairRow, hairStyle, hairColour,
        faceRow, faceChoice,
      },
    };
  }
}

/**
 * An entry for the Babylon Inspector's scene explorer (the context menu of the scene node), which
 * opens the panel:
 *
 *   scene.debugLayer.show({ explorerExtensibility: [inspectorExplorerExtension(action)] });
 */
export function inspectorExplorerExtension(action: CreateAvatarAction, label = 'Create avatar from photo...'): IExplorerExtensibilityGroup {
  return {
    predicate: (entity: unknown) => entity === action.scene,
    entries: [{ label, action: () => action.open() }],
  };
}
