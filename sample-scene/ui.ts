/** The page's own controls (the photo panel is the plugin's CreateAvatarAction): environments, presets, sliders, status. */
import type { EnvironmentPreset } from '../src/plugin/environments.js';
import { isEnvironmentPreset } from '../src/plugin/environments.js';
import { isPresetName, type PresetName } from './presets.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html lacks #${id}`);
  return found as T;
}

/** Calls `onChange` when another environment radio is chosen; `select` reflects a change made elsewhere. */
export function bindEnvironmentChoice(onChange: (environment: EnvironmentPreset) => void): { select(environment: EnvironmentPreset): void } {
  const radios = Array.from(element<HTMLElement>('environments').querySelectorAll<HTMLInputElement>('input[name="environment"]'));
  for (const radio of radios) {
    radio.addEventListener('change', () => {
      if (radio.checked && isEnvironmentPreset(radio.value)) onChange(radio.value);
    });
  }
  return {
    select(environment) {
      for (const radio of radios) radio.checked = radio.value === environment;
    },
  };
}

/** Preset buttons: disabled until there is an avatar to pose. */
export function bindPresetButtons(onPreset: (name: PresetName) => void): { setEnabled(enabled: boolean): void } {
  const buttons = Array.from(element<HTMLElement>('presets').querySelectorAll<HTMLButtonElement>('button[data-preset]'));
  for (const button of buttons) {
    button.addEventListener('click', () => {
      const name = button.dataset.preset;
      if (isPresetName(name)) onPreset(name);
    });
  }
  return {
    setEnabled(enabled) {
      for (const button of buttons) button.disabled = !enabled;
    },
  };
}

/** One labelled slider per expression morph target, 0..1. */
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

export function clearExpressionSliders(): void {
  element<HTMLElement>('expressions').textContent = 'Create an avatar to get its expression sliders.';
}

/** Moves the sliders to weights set by code (presets), without firing their handlers. */
export function syncExpressionSliders(names: readonly string[], weights: ArrayLike<number>): void {
  const container = element<HTMLElement>('expressions');
  names.forEach((name, index) => {
    const slider = container.querySelector<HTMLInputElement>(`input[data-expression="${CSS.escape(name)}"]`);
    if (slider) slider.value = String(weights[index] ?? 0);
  });
}

export function setStatus(text: string, isError = false): void {
  const status = element<HTMLElement>('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

/** Marks the running engine and points each engine link at this page with only `engine` changed. */
export function markCurrentEngine(kind: string): void {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('#engines a')) {
    const engine = link.dataset.engine ?? '';
    const query = new URLSearchParams(location.search);
    query.set('engine', engine);
    link.href = `?${query.toString()}`;
    if (engine === kind) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** Top-level stages only; sub-step timings ('fit.solve') stay in avatar.data.timings. */
export function formatTimings(timings: Record<string, number>): string {
  return Object.entries(timings).filter(([stage]) => !stage.includes('.')).map(([stage, ms]) => `${stage} ${Math.round(ms)} ms`).join(', ');
}
