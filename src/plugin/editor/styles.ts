/**
 * The editor panel's stylesheet: one <style> element per document, shared by every action on the
 * page and removed when the last one is disposed. Every selector starts with the `pavatar-` class
 * prefix, so the host app's styles and ours cannot leak into each other.
 */
export const CLASS_PREFIX = 'pavatar';

const STYLE_ELEMENT_ID = `${CLASS_PREFIX}-editor-styles`;

const CSS = `
.pavatar-panel { box-sizing: border-box; font: 13px/1.4 system-ui, sans-serif; color: #e6e6e6; background: #24262c;
  border: 1px solid #3a3d45; border-radius: 8px; padding: 10px; width: 100%; }
.pavatar-panel *, .pavatar-panel *::before, .pavatar-panel *::after { box-sizing: border-box; }
.pavatar-panel[hidden] { display: none; }
.pavatar-floating { position: fixed; top: 16px; right: 16px; width: 300px; max-height: calc(100vh - 32px); overflow-y: auto;
  z-index: 1000; box-shadow: 0 8px 28px rgba(0, 0, 0, 0.45); }
.pavatar-header { display: flex; align-items: center; justify-content: space-between; margin-bottom: 8px; }
.pavatar-title { font-size: 13px; font-weight: 600; margin: 0; }
.pavatar-panel button { font: inherit; color: #e6e6e6; background: #3a3d45; border: 1px solid #50545e; border-radius: 5px;
  padding: 4px 10px; cursor: pointer; }
.pavatar-panel button:hover:not(:disabled) { background: #474b55; }
.pavatar-panel button:focus-visible, .pavatar-drop:focus-visible { outline: 2px solid #8ab4f8; outline-offset: 2px; }
.pavatar-panel button:disabled { opacity: 0.45; cursor: default; }
.pavatar-panel button.pavatar-primary { background: #2f5fb3; border-color: #4a7bd0; }
.pavatar-close { padding: 0 8px; font-size: 16px; line-height: 1.4; }
.pavatar-drop { display: block; width: 100%; border: 2px dashed #50545e; border-radius: 8px; padding: 14px 8px; text-align: center;
  background: transparent; color: #c8cbd0; cursor: pointer; }
.pavatar-drop.pavatar-dragging { border-color: #8ab4f8; background: rgba(138, 180, 248, 0.12); }
.pavatar-hint { font-size: 11px; color: #9aa0a6; }
.pavatar-row { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.pavatar-file-input { position: absolute; width: 1px; height: 1px; opacity: 0; pointer-events: none; }
.pavatar-webcam video { width: 100%; border-radius: 6px; background: #000; transform: scaleX(-1); margin-top: 8px; }
.pavatar-progress { margin-top: 8px; }
.pavatar-progress progress { width: 100%; }
.pavatar-stages { list-style: none; margin: 4px 0 0; padding: 0; font-size: 12px; }
.pavatar-stages li { color: #7d828a; padding-left: 16px; position: relative; }
.pavatar-stages li::before { content: '\\25CB'; position: absolute; left: 0; }
.pavatar-stages li[data-state="active"] { color: #e6e6e6; }
.pavatar-stages li[data-state="active"]::before { content: '\\25B6'; color: #8ab4f8; }
.pavatar-stages li[data-state="done"] { color: #9aa0a6; }
.pavatar-stages li[data-state="done"]::before { content: '\\2713'; color: #81c995; }
.pavatar-stage-label { font-size: 12px; color: #9aa0a6; min-height: 1.4em; }
.pavatar-message { margin-top: 8px; font-size: 12px; min-height: 1.4em; }
.pavatar-message.pavatar-error { color: #ff8a80; }
.pavatar-result[hidden], .pavatar-progress[hidden], .pavatar-webcam[hidden] { display: none; }
`;

/** Counts the live panels using the stylesheet, per document. */
const users = new WeakMap<Document, number>();

export function retainStyles(doc: Document): void {
  const count = users.get(doc) ?? 0;
  users.set(doc, count + 1);
  if (doc.getElementById(STYLE_ELEMENT_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ELEMENT_ID;
  style.textContent = CSS;
  doc.head.append(style);
}

export function releaseStyles(doc: Document): void {
  const count = (users.get(doc) ?? 1) - 1;
  users.set(doc, count);
  if (count <= 0) doc.getElementById(STYLE_ELEMENT_ID)?.remove();
}
