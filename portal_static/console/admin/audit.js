// The audit log of admin actions: searched by actor and dates (the API answers by Query), and
// downloaded as CSV with the same filters.
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { api, go, html, session, t, when } from "../core.js";

// Dates from the form (the admin's calendar days) as the API's instants: from the start of
// `from` to the end of `to`, in UTC.
function query(params) {
  const out = new URLSearchParams();
  if (params.get("actor")) out.set("actor", params.get("actor"));
  if (params.get("from")) out.set("from", `${params.get("from")}T00:00:00Z`);
  if (params.get("to")) out.set("to", `${params.get("to")}T23:59:59Z`);
  return out.toString();
}

export function AuditLog({ params }) {
  const [entries, setEntries] = useState(null);
  const [error, setError] = useState("");
  const q = query(params);
  // The form's own values (a reload of the entries must not wipe what the admin is typing).
  const [draft, setDraft] = useState({});
  useEffect(() => { setDraft(Object.fromEntries(["actor", "from", "to"].map((n) => [n, params.get(n) || ""]))); }, [params.toString()]);
  const input = (name) => (event) => setDraft((d) => ({ ...d, [name]: event.target.value }));
  useEffect(() => {
    setError("");
    api(`/admin/audit${q ? `?${q}` : ""}`).then((found) => setEntries(found.items))
      .catch((failure) => { setEntries([]); setError(failure.message); });
  }, [q]);
  function search(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const next = new URLSearchParams();
    for (const name of ["actor", "from", "to"]) if (form.get(name)) next.set(name, String(form.get(name)));
    go(`#/admin/audit${next.toString() ? `?${next}` : ""}`);
  }
  async function download() {
    const response = await fetch(`/api/admin/audit.csv${q ? `?${q}` : ""}`, { headers: { Authorization: `Bearer ${session.token}` } });
    if (!response.ok) { setError(`HTTP ${response.status}`); return; }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = "tessera-audit.csv";
    link.click();
    URL.revokeObjectURL(link.href);
  }
  return html`<h1>${t("admin.nav.audit")}</h1>
    <form class="filters" role="search" onSubmit=${search}>
      <label>${t("admin.audit.actor")} <input name="actor" type="email" value=${draft.actor || ""} onInput=${input("actor")} /></label>
      <label>${t("admin.audit.from")} <input name="from" type="date" value=${draft.from || ""} onInput=${input("from")} /></label>
      <label>${t("admin.audit.to")} <input name="to" type="date" value=${draft.to || ""} onInput=${input("to")} /></label>
      <button type="submit" class="primary">${t("admin.audit.search")}</button>
      <button type="button" onClick=${download}>${t("admin.audit.csv")}</button>
    </form>
    <p class="error" role="alert">${error}</p>
    ${entries && (entries.length === 0 ? html`<p class="empty">${t("admin.audit.none")}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t("admin.nav.audit")}><table class="data audit">
      <caption class="visually-hidden">${t("admin.nav.audit")}</caption>
      <thead><tr>${["at", "actor", "action", "target", "change"].map((c) => html`<th scope="col">${t(`admin.audit.${c}`)}</th>`)}</tr></thead>
      <tbody>${entries.map((e) => html`<tr>
        <td>${when(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td><td dir="auto">${e.target}</td>
        <td dir="auto">${e.before || "—"} → ${e.after || "—"}</td></tr>`)}</tbody></table></div>`)}`;
}
