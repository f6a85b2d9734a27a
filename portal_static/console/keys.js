// Keyboard shortcuts: one listener per component that wants keys, ignored while typing in a
// field (Escape still leaves it). `?` lists them all.
import { useEffect, useLayoutEffect, useRef } from "../assets/vendor/htm-preact.js";
import { html, t } from "./core.js";

// Whether `target` takes typed text (a key there is the person's text, not a shortcut).
export const typing = (target) =>
  target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

// useKeys({j: fn, k: fn, ...}): the handlers for this component's life; the latest closures win.
// Listening starts as the component is put on the page (a layout effect), not after the next
// paint: a key pressed as soon as the page shows already reaches it.
export function useKeys(handlers) {
  const latest = useRef(handlers);
  latest.current = handlers;
  useLayoutEffect(() => {
    function onKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
      if (typing(event.target)) return;
      const handler = latest.current[event.key];
      if (handler) {
        event.preventDefault();
        handler(event);
      }
    }
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
}

export const SHORTCUTS = [
  ["j", "keys.next"], ["k", "keys.previous"], ["Enter", "keys.open"], ["x", "keys.select"],
  ["r", "keys.reply"], ["n", "keys.note"], ["a", "keys.take"], ["s", "keys.status"],
  ["u", "keys.back"], ["/", "keys.search"], ["?", "keys.help"],
];

export function Shortcuts({ onClose }) {
  const dialog = useRef(null);
  useEffect(() => { dialog.current?.showModal(); }, []);
  return html`<dialog ref=${dialog} class="shortcuts" aria-labelledby="shortcuts-title" onClose=${onClose}>
    <h2 id="shortcuts-title">${t("keys.title")}</h2>
    <dl>${SHORTCUTS.map(([key, what]) => html`<div><dt><kbd>${key}</kbd></dt><dd>${t(what)}</dd></div>`)}</dl>
    <form method="dialog"><button class="primary">${t("close")}</button></form>
  </dialog>`;
}
