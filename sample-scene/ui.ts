/** The page's controls: photo picker + drop zone, progress, expression sliders, status line. */
import type { ProgressEvent, StageName } from '../src/types.js';

const STAGES: readonly StageName[] = ['load', 'detect', 'landmarks', 'fit', 'albedo', 'build'];
const STAGE_LABELS: Record<StageName, string> = {
  load: 'Loading models',
  detect: 'Detecting the face',
  landmarks: 'Finding landmarks',
  fit: 'Fitting the head',
  albedo: 'Extracting skin texture',
  build: 'Building the avatar',
};

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html lacks #${id}`);
  return found as T;
}

/** Calls `onPhoto` with files picked in the input or dropped on the viewport. */
export function bindPhotoInputs(onPhoto: (file: File) => void): void {
  const input = element<HTMLInputElement>('photo-input');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) onPhoto(file);
    input.value = '';
  });
  const viewport = element<HTMLElement>('viewport');
  viewport.addEventListener('dragover', (event) => {
    event.preventDefault();
    viewport.classList.add('dragging');
  });
  viewport.addEventListener('dragleave', () => viewport.classList.remove('dragging'));
  viewport.addEventListener('drop', (event) => {
    event.preventDefault();
    viewport.classList.remove('dragging');
    const file = Array.from(event.dataTransfer?.files ?? []).find((candidate) => candidate.type.startsWith('image/'));
    if (file) onPhoto(file);
  });
}

export class ProgressView {
  private readonly container = element<HTMLElement>('progress');
  private readonly bar = element<HTMLProgressElement>('progress-bar');
  private readonly label = element<HTMLElement>('progress-stage');
  private readonly cancelButton = element<HTMLButtonElement>('cancel');

  start(onCancel: () => void): void {
    this.container.hidden = false;
    this.bar.value = 0;
    this.label.textContent = 'Starting';
    this.cancelButton.onclick = onCancel;
  }

  /** Stages run in a fixed order, so the bar is (finished stages + fraction of this one) / count. */
  update(event: ProgressEvent): void {
    const index = STAGES.indexOf(event.stage);
    this.bar.value = (Math.max(0, index) + event.progress) / STAGES.length;
    this.label.textContent = `${STAGE_LABELS[event.stage] ?? event.stage}${event.message ? `: ${event.message}` : ''}`;
  }

  finish(): void {
    this.container.hidden = true;
  }
}

/** One slider per expression morph target, 0..1. */
export function showExpressionSliders(names: readonly string[], initial: ArrayLike<number>, onChange: (name: string, weight: number) => void): void {
  const container = element<HTMLElement>('expressions');
  container.replaceChildren();
  names.forEach((name, index) => {
    const label = document.createElement('label');
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.min = '0';
    slider.max = '1';
    slider.step = '0.01';
    slider.value = String(initial[index] ?? 0);
    slider.dataset.expression = name;
    slider.addEventListener('input', () => onChange(name, Number(slider.value)));
    label.append(name, slider);
    container.append(label);
  });
}

export function setStatus(text: string, isError = false): void {
  const status = element<HTMLElement>('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

export function markCurrentEngine(kind: string): void {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('#engines a')) {
    if (link.dataset.engine === kind) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
}

/** Top-level stages only; sub-step timings ('fit.solve') stay in avatar.data.timings. */
export function formatTimings(timings: Record<string, number>): string {
  return Object.entries(timings).filter(([stage]) => !stage.includes('.')).map(([stage, ms]) => `${stage} ${Math.round(ms)} ms`).join(', ');
}
