// The mail quarantine (#/admin/mail): what intake could not turn into a ticket or reply, with
// its reason, sender and time; the raw mail saved as a file (never shown as a page), reprocess
// (confirmed) and discard (confirmed; the raw mail stays in its bucket). Then the addresses
// marked bouncing, to unblock (confirmed), and the intake's safeguards in force, which are the
// mail-filters document's limits, edited there.
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { api, go, html, number, say, size, t, when } from "../core.js";
import { Confirm } from "./confirm.js";

function saveFile(filename, base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export function MailQuarantine() {
  const [found, setFound] = useState(null);
  const [bounced, setBounced] = useState([]);
  const [asking, setAsking] = useState(null); // { action, mail } or { action: "unblock", address }
  const [busy, setBusy] = useState("");
  async function load() {
    try {
      const [held, marked] = await Promise.all([api("/admin/mail/quarantine"), api("/admin/mail/bounced")]);
      setFound(held);
      setBounced(marked.items);
    } catch (error) { say(error.message); }
  }
  useEffect(() => { load(); }, []);
  async function download(mail) {
    try {
      const raw = await api(`/admin/mail/quarantine/${encodeURIComponent(mail.id)}/raw`);
      saveFile(raw.filename, raw.base64);
    } catch (error) { say(error.message); }
  }
  async function act() {
    const { action, mail } = asking;
    setAsking(null);
    if (action === "unblock") {
      try {
        await api("/admin/mail/bounced/unblock", { method: "POST", body: { address: asking.address } });
        say(t("admin.mail.unblocked", { address: asking.address }));
        await load();
      } catch (error) { say(error.message); }
      return;
    }
    setBusy(mail.id);
    try {
      const outcome = await api(`/admin/mail/quarantine/${encodeURIComponent(mail.id)}/${action}`, { method: "POST" });
      if (action === "discard") say(t("admin.mail.discarded"));
      else if (outcome.result === "quarantined") say(t("admin.mail.still_held", { reason: outcome.reason }));
      else say(t("admin.mail.reprocessed", { number: number(outcome.number ?? 0) }));
      await load();
    } catch (error) { say(error.message); } finally { setBusy(""); }
  }
  if (!found) return html`<p>…</p>`;
  const limits = found.limits;
  return html`<section class="mail-admin" aria-labelledby="mail-title">
    <h1 id="mail-title">${t("admin.mail.title")}</h1>
    <p class="hint">${t("admin.mail.hint")}</p>
    ${found.items.length === 0 ? html`<p class="empty">${t("admin.mail.none")}</p>` : html`<div class="table-wrap"><table class="quarantine">
      <thead><tr><th scope="col">${t("admin.mail.when")}</th><th scope="col">${t("admin.mail.sender")}</th>
        <th scope="col">${t("admin.mail.reason")}</th><th scope="col"><span class="visually-hidden">${t("admin.actions")}</span></th></tr></thead>
      <tbody>${found.items.map((mail) => html`<tr data-mail=${mail.id}>
        <td>${when(mail.at)}</td><td dir="ltr">${mail.sender || "—"}</td>
        <td dir="auto">${mail.reason}</td>
        <td class="row-actions">
          <button type="button" onClick=${() => download(mail)}>${t("admin.mail.download", { size: size(mail.size) })}</button>
          <button type="button" disabled=${busy === mail.id} onClick=${() => setAsking({ action: "reprocess", mail })}>${t("admin.mail.reprocess")}</button>
          <button type="button" class="danger" disabled=${busy === mail.id} onClick=${() => setAsking({ action: "discard", mail })}>${t("admin.mail.discard")}</button>
        </td></tr>`)}</tbody></table></div>`}
    <h2>${t("admin.mail.bounced")}</h2>
    ${bounced.length === 0 ? html`<p class="empty">${t("admin.mail.no_bounced")}</p>` : html`<div class="table-wrap"><table class="quarantine bounced">
      <thead><tr><th scope="col">${t("admin.mail.address")}</th><th scope="col">${t("admin.mail.reason")}</th>
        <th scope="col">${t("admin.mail.when")}</th><th scope="col"><span class="visually-hidden">${t("admin.actions")}</span></th></tr></thead>
      <tbody>${bounced.map((b) => html`<tr data-address=${b.address}>
        <td dir="ltr">${b.address}</td><td dir="auto">${b.reason}</td><td>${when(b.at)}</td>
        <td><button type="button" onClick=${() => setAsking({ action: "unblock", address: b.address })}>${t("admin.mail.unblock")}</button></td>
      </tr>`)}</tbody></table></div>`}
    <h2>${t("admin.mail.safeguards")}</h2>
    <dl class="limits">
      <dt>${t("admin.mail.open_limit")}</dt><dd>${number(limits.open_tickets_per_requester)}</dd>
      <dt>${t("admin.mail.auto_cap")}</dt><dd>${t("admin.mail.auto_cap_value", { n: limits.auto_responses_per_sender, minutes: limits.auto_response_window_minutes })}</dd>
      <dt>${t("admin.mail.max_size")}</dt><dd>${size(limits.max_mail_bytes)}</dd>
    </dl>
    <p><button type="button" class="link" onClick=${() => go("#/admin/config/mail-filters")}>${t("admin.mail.edit_limits")}</button></p>
    ${asking && html`<${Confirm} title=${t(`admin.mail.${asking.action}_title`)}
      text=${asking.mail ? `${asking.mail.sender || "—"} · ${asking.mail.reason}` : t("admin.mail.unblock_text", { address: asking.address })}
      action=${t(`admin.mail.${asking.action}`)}
      onConfirm=${act} onCancel=${() => setAsking(null)} />`}
  </section>`;
}
