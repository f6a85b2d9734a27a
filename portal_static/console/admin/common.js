// What the admin areas share (the confirmation dialog is confirm.js): a versioned
// configuration document (GET, validate, PUT with If-Match) whose 412 shows the version that
// won instead of losing the admin's edit.
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { agentName, api, html, say, t } from "../core.js";

// Who applied a version ("admin:ana@x" -> Ana's name), isolated from the text around it so an
// address reads in order inside a right-to-left sentence.
export const actorName = (actor) =>
  `\u2068${agentName(String(actor || "").replace(/^(admin|agent|customer|lead|cli):/, ""))}\u2069`;

// An API error as an admin reads it: the API's own sentence when it wrote one ("You cannot
// disable your own account."), else the problem after the form's label for the field it names
// (`labels`: field -> label), never a raw "enabled: " or "temporary_password: " in front.
export function errorText(failure, labels = {}) {
  if (!failure.field) return failure.message;
  const problem = failure.problem || failure.message;
  if (/^\p{Lu}/u.test(problem)) return problem;
  return labels[failure.field] ? `${labels[failure.field]}: ${problem}` : problem;
}

// The document of `kind` as applied: { doc, text, setText, validate, apply, conflict, error }.
export function useConfigDocument(kind) {
  const [doc, setDoc] = useState(null); // { version, text, applied_by }
  const [text, setText] = useState("");
  const [error, setError] = useState(null); // { field, message }
  const [conflict, setConflict] = useState(null); // the version that won, after a 412
  async function load() {
    const found = await api(`/admin/config/${kind}`);
    setDoc(found);
    setText(found.text);
    return found;
  }
  useEffect(() => { load().catch((failure) => setError({ message: failure.message })); }, [kind]);
  async function validate() {
    setError(null);
    try {
      await api(`/admin/config/${kind}/validate`, { method: "POST", body: { text } });
      say(t("admin.doc.valid"));
      return true;
    } catch (failure) { setError({ field: failure.field, message: failure.message }); return false; }
  }
  async function apply() {
    setError(null);
    try {
      const saved = await api(`/admin/config/${kind}`, {
        method: "PUT", body: { text }, headers: { "If-Match": `"${doc.version}"` },
      });
      setDoc(saved);
      setText(saved.text);
      setConflict(null);
      say(t("admin.doc.applied", { version: saved.version }));
    } catch (failure) {
      if (failure.status === 412 || failure.status === 409) {
        // Someone applied first: keep this edit in the editor, show theirs next to it.
        setConflict(await api(`/admin/config/${kind}`));
      } else setError({ field: failure.field, message: failure.message });
    }
  }
  // Rebase the edit on the version that won: the admin merges by hand, then applies again.
  function takeTheirs() { setDoc(conflict); setText(conflict.text); setConflict(null); }
  function keepMine() { setDoc(conflict); setConflict(null); }
  return { doc, text, setText, validate, apply, conflict, error, takeTheirs, keepMine, reload: load };
}

// The YAML editor of one document: version, errors at their line, validate and apply.
export function DocumentEditor({ kind, document: d, label, rows = 18 }) {
  if (!d.doc) return html`<p>${d.error ? d.error.message : "…"}</p>`;
  const id = `doc-${kind}`;
  return html`<section class="panel document" aria-labelledby=${`${id}-title`}>
    <h2 id=${`${id}-title`}>${label}</h2>
    <p class="hint">${t("admin.doc.version", { version: d.doc.version, by: d.doc.applied_by ? actorName(d.doc.applied_by) : "—" })}</p>
    <label for=${id}>${t("admin.doc.yaml")}</label>
    <textarea id=${id} class="yaml" rows=${rows} spellcheck="false" dir="ltr" value=${d.text}
      aria-invalid=${d.error ? "true" : "false"} aria-describedby=${`${id}-error`}
      onInput=${(e) => d.setText(e.target.value)}></textarea>
    <p id=${`${id}-error`} class="error" role="alert">${d.error ? d.error.message : ""}</p>
    ${d.conflict && html`<div class="conflict" role="alert">
      <p>${t("admin.doc.conflict", { version: d.conflict.version, by: d.conflict.applied_by ? actorName(d.conflict.applied_by) : "—" })}</p>
      <pre dir="ltr">${d.conflict.text}</pre>
      <button type="button" onClick=${d.keepMine}>${t("admin.doc.keep_mine")}</button>
      <button type="button" onClick=${d.takeTheirs}>${t("admin.doc.take_theirs")}</button>
    </div>`}
    <div class="actions">
      <button type="button" onClick=${d.validate}>${t("admin.doc.validate")}</button>
      <button type="button" class="primary" onClick=${d.apply} disabled=${Boolean(d.conflict)}>${t("admin.doc.apply")}</button>
    </div>
  </section>`;
}
