// Custom fields: the applied fields document as a table (key, label, type, choices, whether
// customers may set it in the portal's form, who must fill it in) above its YAML, applied as the
// next version (If-Match).
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { api, fieldLabel, html, t } from "../core.js";
import { DocumentEditor, useConfigDocument } from "./common.js";

export function Fields() {
  const document = useConfigDocument("fields");
  const [fields, setFields] = useState([]);
  useEffect(() => { api("/workspace").then((w) => setFields(w.fields)).catch(() => setFields([])); }, [document.doc?.version]);
  return html`<h1>${t("admin.nav.fields")}</h1>
    <p class="lead">${t("admin.fields.lead")}</p>
    <div class="table-wrap"><table class="data fields">
      <caption class="visually-hidden">${t("admin.nav.fields")}</caption>
      <thead><tr>${["key", "label", "type", "choices", "customers", "required"].map((c) => html`<th scope="col">${t(`admin.fields.${c}`)}</th>`)}</tr></thead>
      <tbody>${fields.map((f) => html`<tr><th scope="row"><code>${f.key}</code></th><td dir="auto">${fieldLabel(f)}</td><td>${f.type}</td>
        <td dir="auto">${f.choices.length ? f.choices.join(", ") : "—"}</td>
        <td>${f.customer_visible ? t("admin.yes") : t("admin.no")}</td>
        <td>${f.required?.length ? f.required.map((who) => t(`admin.fields.required_${who}`)).join(", ") : t("admin.no")}</td></tr>`)}</tbody></table></div>
    <${DocumentEditor} kind="fields" document=${document} label=${t("admin.fields.document")} rows=${18} />`;
}
