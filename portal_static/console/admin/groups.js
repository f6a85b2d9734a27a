// Groups and tiers: the applied groups document as a summary (members, escalation order
// L1 -> L2 -> ...) above its YAML, edited and applied as the next version (If-Match).
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { api, html, t } from "../core.js";
import { DocumentEditor, useConfigDocument } from "./common.js";

// Each escalation chain, tier 1 first: the groups nobody escalates to start one.
export function chains(groups) {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const lower = new Set(groups.map((g) => g.escalates_to).filter(Boolean));
  return groups.filter((g) => !lower.has(g.name)).map((first) => {
    const chain = [first];
    while (chain.at(-1).escalates_to && byName.has(chain.at(-1).escalates_to) && chain.length <= groups.length) {
      chain.push(byName.get(chain.at(-1).escalates_to));
    }
    return chain;
  });
}

export function Groups() {
  const document = useConfigDocument("groups");
  const [groups, setGroups] = useState([]);
  useEffect(() => { api("/workspace").then((w) => setGroups(w.groups)).catch(() => setGroups([])); }, [document.doc?.version]);
  return html`<h1>${t("admin.nav.groups")}</h1>
    <p class="lead">${t("admin.groups.lead")}</p>
    <div class="table-wrap"><table class="data groups">
      <caption class="visually-hidden">${t("admin.nav.groups")}</caption>
      <thead><tr><th scope="col">${t("admin.groups.tiers")}</th><th scope="col">${t("admin.groups.group")}</th><th scope="col">${t("admin.groups.members")}</th><th scope="col">${t("admin.groups.calendar")}</th></tr></thead>
      <tbody>${chains(groups).flatMap((chain) => chain.map((g, i) => html`<tr>
        <td><span class="badge">L${i + 1}</span></td>
        <th scope="row">${g.name}${g.escalates_to ? html` <span class="hint">→ ${g.escalates_to}</span>` : ""}</th>
        <td>${g.members.length ? g.members.join(", ") : "—"}</td>
        <td dir="ltr">${g.calendar || "—"}</td></tr>`))}</tbody></table></div>
    <${DocumentEditor} kind="groups" document=${document} label=${t("admin.groups.document")} rows=${22} />`;
}
