// People: every staff account with its role, routing profile (the groups document), availability
// and open tickets; invite an agent, or mail an invited one's invitation again; change the role;
// disable (confirmed, then their open tickets listed for reassignment) and enable again. The
// admin's own row offers neither (the API refuses both: someone must stay admin), and says why.
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { api, html, number, say, store, t } from "../core.js";
import { errorText } from "./common.js";
import { Confirm } from "./confirm.js";

export function People() {
  const [people, setPeople] = useState(null);
  const [asking, setAsking] = useState(null); // the person whose disabling waits for a yes
  const [orphans, setOrphans] = useState(null); // { email, tickets } after a disable
  const [error, setError] = useState("");
  async function load() {
    try { setPeople((await api("/admin/agents")).items); } catch (failure) { setError(failure.message); }
  }
  useEffect(() => { load(); }, []);
  async function change(person, body) {
    try {
      await api(`/admin/agents/${encodeURIComponent(person.email)}`, { method: "PATCH", body });
      await load();
      return true;
    } catch (failure) { say(errorText(failure)); await load(); return false; }
  }
  async function resend(person) {
    try {
      await api(`/admin/agents/${encodeURIComponent(person.email)}/invitation`, { method: "POST" });
      say(t("admin.people.resent", { email: person.email }));
    } catch (failure) { say(errorText(failure)); }
    await load();
  }
  async function disable(person) {
    if (!(await change(person, { enabled: false }))) return;
    say(t("admin.people.disabled", { email: person.email }));
    // Open and waiting (pending, on hold): one Query each of the agent's own index partition.
    const lists = await Promise.all(["new,open", "pending,on-hold"].map((status) =>
      api(`/tickets?view=all&status=${status}&assignee=${encodeURIComponent(person.email)}&limit=100`)));
    setOrphans({ email: person.email, tickets: lists.flatMap((found) => found.items) });
  }
  async function enable(person) {
    if (await change(person, { enabled: true })) say(t("admin.people.enabled", { email: person.email }));
  }
  async function role(person, group) {
    if (await change(person, { group })) say(t("admin.people.role_changed", { email: person.email, role: t(`admin.role.${group}`) }));
  }
  return html`<h1>${t("admin.nav.people")}</h1>
    <${Invite} onInvited=${load} />
    ${orphans && html`<section class="panel orphans" aria-labelledby="orphans-title">
      <h2 id="orphans-title">${t("admin.people.orphans", { email: orphans.email, n: orphans.tickets.length })}</h2>
      ${orphans.tickets.length > 0 && html`<ul>${orphans.tickets.map((ticket) => html`<li>
        <a href=${`#/tickets/${ticket.id}`}>${number(ticket.number)}</a> <span dir="auto">${ticket.subject}</span></li>`)}</ul>
        <p><a class="button" href=${`#/view/all?assignee=${encodeURIComponent(orphans.email)}`}>${t("admin.people.reassign")}</a></p>`}
      <button type="button" onClick=${() => setOrphans(null)}>${t("close")}</button>
    </section>`}
    <p class="error" role="alert">${error}</p>
    ${people && html`<div class="table-wrap"><table class="data people">
      <caption class="visually-hidden">${t("admin.nav.people")}</caption>
      <thead><tr>${["email", "role", "groups", "languages", "skills", "capacity", "availability", "load", "account"].map(
        (c) => html`<th scope="col">${t(`admin.people.${c}`)}</th>`)}</tr></thead>
      <tbody>${people.map((p) => { const self = p.email === store.me?.email; return html`<tr class=${p.enabled ? "" : "is-disabled"} data-email=${p.email}>
        <th scope="row">${p.email}${p.status === "FORCE_CHANGE_PASSWORD" ? html` <span class="badge">${t("admin.people.invited")}</span>` : ""}
          ${self && html`<p class="hint" id="people-self-hint">${t("admin.people.self_hint")}</p>`}</th>
        <td><label class="visually-hidden" for=${`role-${p.email}`}>${t("admin.people.role_of", { email: p.email })}</label>
          <select id=${`role-${p.email}`} value=${p.role === "admin" ? "admins" : "agents"} onChange=${(e) => role(p, e.target.value)}
            disabled=${self} aria-describedby=${self ? "people-self-hint" : undefined}>
            ${["agents", "admins"].map((g) => html`<option value=${g}>${t(`admin.role.${g}`)}</option>`)}</select></td>
        <td>${p.routing_groups.length ? p.routing_groups.join(", ") : html`<span class="hint">${t("admin.people.not_routed")}</span>`}</td>
        <td>${p.languages.join(", ") || "—"}</td>
        <td>${p.skills.join(", ") || "—"}</td>
        <td>${p.capacity ?? "—"}</td>
        <td><span class=${`badge availability-${p.availability}`}>${t(`me.${p.availability}`)}</span></td>
        <td><a href=${`#/view/all?assignee=${encodeURIComponent(p.email)}`} aria-label=${t("admin.people.load_of", { email: p.email, n: p.open_tickets })}>
          ${p.capacity ? `${p.open_tickets} / ${p.capacity}` : p.open_tickets}</a></td>
        <td>${p.enabled
          ? html`<button type="button" class="danger" onClick=${() => setAsking(p)} disabled=${self}
              aria-describedby=${self ? "people-self-hint" : undefined}>${t("admin.people.disable")}</button>`
          : html`<span class="badge">${t("admin.people.is_disabled")}</span> <button type="button" onClick=${() => enable(p)}>${t("admin.people.enable")}</button>`}
          ${p.status === "FORCE_CHANGE_PASSWORD" && p.enabled && html` <button type="button" class="resend" onClick=${() => resend(p)}
            aria-label=${t("admin.people.resend_to", { email: p.email })}>${t("admin.people.resend")}</button>`}</td>
      </tr>`; })}</tbody></table></div>`}
    ${asking && html`<${Confirm} title=${t("admin.people.disable_title", { email: asking.email })}
      text=${t("admin.people.disable_text")} action=${t("admin.people.disable")}
      onConfirm=${() => { const person = asking; setAsking(null); disable(person); }}
      onCancel=${() => setAsking(null)} />`}`;
}

function Invite({ onInvited }) {
  const [error, setError] = useState("");
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    setError("");
    const temporary = String(form.get("temporary_password") || "");
    try {
      const created = await api("/admin/agents", {
        method: "POST",
        body: { email: form.get("email"), group: form.get("group"), ...(temporary ? { temporary_password: temporary } : {}) },
      });
      event.target.reset();
      say(t("admin.people.invited_done", { email: created.email }));
      onInvited();
    } catch (failure) {
      setError(errorText(failure, { email: t("admin.people.email"), group: t("admin.people.role"), temporary_password: t("admin.people.temporary") }));
    }
  }
  return html`<details class="panel invite"><summary>${t("admin.people.invite")}</summary>
    <form onSubmit=${submit} class="filters">
      <label>${t("admin.people.email")} <input name="email" type="email" required autocomplete="off" /></label>
      <label>${t("admin.people.role")} <select name="group">
        ${["agents", "admins"].map((g) => html`<option value=${g}>${t(`admin.role.${g}`)}</option>`)}</select></label>
      <label>${t("admin.people.temporary")} <input name="temporary_password" type="text" minlength="12" autocomplete="off" /></label>
      <button type="submit" class="primary">${t("admin.people.send_invite")}</button>
      <p class="hint">${t("admin.people.invite_hint")}</p>
      <p class="error" role="alert">${error}</p>
    </form></details>`;
}
