// The one modal question before a destructive action (disable, revert, delete, discard,
// unblock), Cancel first and focused: the native
// <dialog>, so focus stays inside and Escape cancels.
import { useEffect, useRef } from "../../assets/vendor/htm-preact.js";
import { html, t } from "../core.js";

export function Confirm({ title, text, action, onConfirm, onCancel }) {
  const dialog = useRef(null);
  useEffect(() => {
    dialog.current?.showModal();
    return () => dialog.current?.close();
  }, []);
  return html`<dialog ref=${dialog} class="confirm" aria-labelledby="confirm-title"
    onCancel=${(e) => { e.preventDefault(); onCancel(); }}>
    <h2 id="confirm-title">${title}</h2>
    <p dir="auto">${text}</p>
    <div class="actions">
      <button type="button" onClick=${onCancel} autofocus>${t("admin.cancel")}</button>
      <button type="button" class="primary danger" onClick=${onConfirm}>${action}</button>
    </div>
  </dialog>`;
}
