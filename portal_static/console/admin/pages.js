// The admin center's pages of configuration documents, knowledge base and mail (#/admin/...),
// behind a sub-navigation. Only admins see the entry; the API refuses anyone else.
import { html, store, t, useStore } from "../core.js";
import { ConfigDocuments } from "./config.js";
import { KbArticles } from "./kb.js";
import { MailQuarantine } from "./mail.js";

const SECTIONS = ["config", "kb", "mail"];

export function AdminPage({ route }) {
  useStore();
  if (store.me?.role !== "admin") return html`<main id="main" class="admin"><p>${t("admin.only")}</p></main>`;
  let page;
  if (route.section === "config") page = html`<${ConfigDocuments} key=${route.rest[0] || "rules"} kind=${route.rest[0] || "rules"} />`;
  else if (route.section === "kb") page = html`<${KbArticles} rest=${route.rest} />`;
  else if (route.section === "mail") page = html`<${MailQuarantine} />`;
  else page = html`<p>${t("admin.only")}</p>`;
  return html`<div class="admin">
    <nav class="admin-nav" aria-label=${t("admin.nav")}>
      <ul>${SECTIONS.map((s) => html`<li><a href=${`#/admin/${s}`} aria-current=${route.section === s ? "page" : null}>${t(`admin.section.${s}`)}</a></li>`)}</ul>
    </nav>
    <main id="main" class="admin-main">${page}</main>
  </div>`;
}
