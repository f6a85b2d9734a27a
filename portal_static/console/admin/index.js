// The admin center (#/admin/<area>): its own sub-navigation and one module per area. Another
// area plugs in with registerArea({ id, label, page }) before the console renders (see
// docs/admin.md); the label is a key in strings.js, the page a Preact component.
import { html, store, t, useStore } from "../core.js";
import { People } from "./people.js";
import { Groups } from "./groups.js";
import { Canned } from "./canned.js";
import { Fields } from "./fields.js";
import { AuditLog } from "./audit.js";
import { ConfigDocuments } from "./config.js";
import { KbArticles } from "./kb.js";
import { MailQuarantine } from "./mail.js";
import { Privacy } from "./privacy.js";

// #/admin/config/<kind>: the kind's YAML document, rules with try-before-apply.
const Config = ({ rest }) => html`<${ConfigDocuments} key=${rest[0] || "rules"} kind=${rest[0] || "rules"} />`;
const Kb = ({ rest }) => html`<${KbArticles} rest=${rest} />`;

const AREAS = [
  { id: "people", label: "admin.nav.people", page: People },
  { id: "groups", label: "admin.nav.groups", page: Groups },
  { id: "canned", label: "admin.nav.canned", page: Canned },
  { id: "fields", label: "admin.nav.fields", page: Fields },
  { id: "config", label: "admin.section.config", page: Config },
  { id: "kb", label: "admin.section.kb", page: Kb },
  { id: "mail", label: "admin.section.mail", page: MailQuarantine },
  { id: "privacy", label: "admin.nav.privacy", page: Privacy },
  { id: "audit", label: "admin.nav.audit", page: AuditLog },
];

export function registerArea(area) {
  if (!AREAS.some((a) => a.id === area.id)) AREAS.push(area);
}

export const isAdmin = () => store.me?.role === "admin";

export function AdminCenter({ area, rest = [], params }) {
  useStore();
  if (!isAdmin()) {
    return html`<main id="main" class="admin"><h1>${t("admin.title")}</h1><p role="alert">${t("admin.only")}</p></main>`;
  }
  const current = AREAS.find((a) => a.id === area) || AREAS[0];
  const Page = current.page;
  return html`<div class="workspace admin">
    <nav class="rail" aria-label=${t("admin.title")}>
      <h2 class="rail-title">${t("admin.title")}</h2>
      <ul>${AREAS.map((a) => html`<li><a href=${`#/admin/${a.id}`} aria-current=${a === current ? "page" : null}>${t(a.label)}</a></li>`)}</ul>
    </nav>
    <main id="main" class="admin-page"><${Page} params=${params} rest=${rest} /></main>
  </div>`;
}
