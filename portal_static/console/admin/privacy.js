// A requester's data (#/admin/privacy): an admin enters an address, downloads everything held
// about it as a JSON file (POST /api/admin/privacy/export), or erases it (POST
// /api/admin/privacy/erase) after a dialog that asks for the address to be typed again. Both are
// on the audit log (the erase under the alias, never the address).
import { useEffect, useRef, useState } from "../../assets/vendor/htm-preact.js";
import { api, html, say, t } from "../core.js";

function saveJson(filename, value) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: "application/json" }));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// The erase question: the action stays disabled until the address is typed exactly.
function ConfirmErase({ email, onConfirm, onCancel }) {
  const dialog = useRef(null);
  const [typed, setTyped] = useState("");
  useEffect(() => {
    dialog.current?.showModal();
    return () => dialog.current?.close();
  }, []);
  const matches = typed.trim().toLowerCase() === email;
  return html`<dialog ref=${dialog} class="confirm" aria-labelledby="erase-title"
    onCancel=${(e) => { e.preventDefault(); onCancel(); }}>
    <h2 id="erase-title">${t("admin.privacy.erase_title")}</h2>
    <p>${t("admin.privacy.erase_text", { email })}</p>
    <label for="erase-typed">${t("admin.privacy.type_address")}</label>
    <input id="erase-typed" type="email" dir="ltr" autocomplete="off" value=${typed}
      onInput=${(e) => setTyped(e.target.value)} />
    <div class="actions">
      <button type="button" onClick=${onCancel}>${t("admin.cancel")}</button>
      <button type="button" class="primary danger" disabled=${!matches} onClick=${onConfirm}>${t("admin.privacy.erase")}</button>
    </div>
  </dialog>`;
}

export function Privacy() {
  const [email, setEmail] = useState("");
  const [asking, setAsking] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null); // { kind: "export" | "erase", ... }
  const address = email.trim().toLowerCase();
  async function exportData(event) {
    event?.preventDefault();
    setBusy(true);
    try {
      const found = await api("/admin/privacy/export", { method: "POST", body: { email: address } });
      saveJson(`privacy-${found.email}.json`, found);
      setResult({ kind: "export", email: found.email, tickets: found.tickets.length, items: found.other_items.length });
      say(t("admin.privacy.exported", { email: found.email }));
    } catch (error) { say(error.message); } finally { setBusy(false); }
  }
  async function erase() {
    const who = asking;
    setAsking("");
    setBusy(true);
    try {
      const done = await api("/admin/privacy/erase", { method: "POST", body: { email: who } });
      setResult({ kind: "erase", email: who, ...done });
      say(t("admin.privacy.erased", { email: who }));
    } catch (error) { say(error.message); } finally { setBusy(false); }
  }
  return html`<section class="privacy-admin" aria-labelledby="privacy-title">
    <h1 id="privacy-title">${t("admin.privacy.title")}</h1>
    <p class="hint">${t("admin.privacy.hint")}</p>
    <form class="panel" onSubmit=${exportData}>
      <label for="privacy-email">${t("admin.privacy.email")}</label>
      <input id="privacy-email" type="email" dir="ltr" required value=${email}
        onInput=${(e) => setEmail(e.target.value)} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy || !address}>${t("admin.privacy.export")}</button>
        <button type="button" class="danger" disabled=${busy || !address}
          onClick=${() => setAsking(address)}>${t("admin.privacy.erase")}</button>
      </div>
    </form>
    ${result && html`<div class="panel privacy-result" role="region" aria-labelledby="privacy-result-title">
      <h2 id="privacy-result-title">${t(result.kind === "export" ? "admin.privacy.export_result" : "admin.privacy.erase_result")}</h2>
      ${result.kind === "export"
        ? html`<dl class="limits">
            <dt>${t("admin.privacy.email")}</dt><dd dir="ltr">${result.email}</dd>
            <dt>${t("admin.privacy.tickets")}</dt><dd>${result.tickets}</dd>
            <dt>${t("admin.privacy.items")}</dt><dd>${result.items}</dd></dl>`
        : html`<dl class="limits">
            <dt>${t("admin.privacy.alias")}</dt><dd dir="ltr">${result.alias}</dd>
            <dt>${t("admin.privacy.tickets")}</dt><dd>${result.tickets}</dd>
            <dt>${t("admin.privacy.messages")}</dt><dd>${result.messages}</dd>
            <dt>${t("admin.privacy.files")}</dt><dd>${result.files}</dd>
            <dt>${t("admin.privacy.items")}</dt><dd>${result.items}</dd></dl>`}
    </div>`}
    ${asking && html`<${ConfirmErase} email=${asking} onConfirm=${erase} onCancel=${() => setAsking("")} />`}
  </section>`;
}
