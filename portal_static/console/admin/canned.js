// Canned responses and macros: the canned document's YAML with a live preview of every
// response as an agent would send it (placeholders filled for a sample ticket by the API's own
// renderer, a moment after each keystroke), then applied as the next version (If-Match).
import { useEffect, useState } from "../../assets/vendor/htm-preact.js";
import { api, html, t } from "../core.js";
import { DocumentEditor, useConfigDocument } from "./common.js";

const PREVIEW_DELAY_MS = 400;

export function Canned() {
  const document = useConfigDocument("canned");
  const [preview, setPreview] = useState({ items: [], error: "" });
  useEffect(() => {
    if (!document.doc) return undefined;
    const timer = setTimeout(() => {
      api("/admin/config/canned/preview", { method: "POST", body: { text: document.text } })
        .then((answer) => setPreview({ items: answer.items, error: "" }))
        .catch((failure) => setPreview((last) => ({ items: last.items, error: failure.message })));
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [document.text, document.doc]);
  return html`<h1>${t("admin.nav.canned")}</h1>
    <p class="lead">${t("admin.canned.lead")}</p>
    <div class="split">
      <${DocumentEditor} kind="canned" document=${document} label=${t("admin.canned.document")} rows=${22} />
      <section class="panel preview" aria-labelledby="canned-preview-title" aria-live="polite">
        <h2 id="canned-preview-title">${t("admin.canned.preview")}</h2>
        <p class="hint">${t("admin.canned.sample")}</p>
        ${preview.error && html`<p class="error">${preview.error}</p>`}
        ${preview.items.map((item) => html`<article class="canned-preview"><h3 dir="auto">${item.title}</h3>
          <p class="text" dir="auto">${item.text}</p></article>`)}
      </section>
    </div>`;
}
