// What every portal page shares: the brand and ticket-form settings (portal.json), the
// language and direction, the customer's session and the API client, the header's state.
// A page module imports what it needs and hands its own start to `run`.
import { apiClient, storedSession } from "../lib/api.js";
import { $, el } from "../lib/dom.js";
import { RTL, bytes, ticketNumber, translate } from "../lib/words.js";

const STRINGS = window.TESSERA_STRINGS || { en: {} };
const body = document.body;

export const page = body.dataset.page || "";
export const root = body.dataset.root || "";
const kbPage = page.startsWith("kb-");

export const config = {
  name: "Support", logo: "", languages: Object.keys(STRINGS), default_language: "en",
  api: "/api", priorities: true, products: [], custom_fields: [],
  max_attachment_bytes: 10485760, max_attachments: 5,
};
export const state = { lang: "en" };
// Functions that draw language-dependent parts again when the reader switches language.
export const rerender = [];

// ------------------------------------------------------------------ words, numbers, dates
export const t = (key, values = {}) => translate(STRINGS, state.lang, key, values);
export const formatDate = (iso) =>
  new Intl.DateTimeFormat(state.lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
export const formatNumber = (n) => ticketNumber(state.lang, n);
export const formatBytes = (n) => bytes(state.lang, n);

// ------------------------------------------------------------------ session and API
export const session = storedSession(localStorage, "tessera.session");
const client = apiClient({
  base: "/api",
  session,
  onUnauthorized() {
    session.clear();
    requireSignIn(t("error.session"));
  },
});
export const api = (path, options) => client.request(path, options);

// Send the reader to sign in, and back here afterwards.
export function requireSignIn(reason) {
  sessionStorage.setItem("tessera.next", location.pathname.split("/").pop() + location.search);
  if (reason) sessionStorage.setItem("tessera.reason", reason);
  location.assign(`${root}signin.html`);
}

export function showError(node, error) {
  if (node) node.textContent = t("error.generic", { message: error.message || String(error) });
}

// Signed in, or not: a session opened from one ticket's mail link is not (it sees that ticket
// only), so the header offers to sign in, as the page does, and never says "Sign out".
export function updateNav() {
  const signedIn = Boolean(session.token) && !session.flag("scoped");
  for (const a of document.querySelectorAll(".nav-signin")) a.hidden = signedIn;
  for (const a of document.querySelectorAll(".nav-signout")) a.hidden = !signedIn;
}

// ------------------------------------------------------------------ language and direction
function chooseLanguage() {
  if (kbPage && body.dataset.lang) return body.dataset.lang; // a KB page is in one language
  const known = config.languages.filter((l) => STRINGS[l]);
  const saved = localStorage.getItem("tessera.lang");
  if (saved && known.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (known.includes(base)) return base;
  }
  return known.includes(config.default_language) ? config.default_language : known[0] || "en";
}

function applyLanguage() {
  const lang = state.lang;
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? "rtl" : "ltr";
  if (kbPage) return; // KB pages are rendered in their language by the publisher
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of document.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  const title = document.querySelector("h1[data-i18n]");
  document.title = `${title ? title.textContent : config.name} · ${config.name}`;
  for (const link of document.querySelectorAll(".nav-kb")) link.href = `${root}kb/${lang}/index.html`;
  const nav = document.querySelector(".languages");
  if (nav) {
    nav.replaceChildren(...config.languages.filter((l) => STRINGS[l]).map((code) => {
      const button = el("button", { type: "button", lang: code, text: STRINGS[code]["language.name"] });
      if (code === lang) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => {
        localStorage.setItem("tessera.lang", code);
        state.lang = code;
        applyLanguage();
        document.querySelector(`.languages [lang="${code}"]`)?.focus();
      });
      return button;
    }));
  }
  for (const draw of rerender) draw();
}

// ------------------------------------------------------------------ start
// Read portal.json, settle the language, then run the page's own start. Controls marked
// data-wait are rendered disabled and come alive here, once their handlers are attached: a click
// before that would do nothing (or submit the form to nowhere).
export async function run(startPage) {
  try {
    try {
      const response = await fetch(`${root}portal.json`);
      if (response.ok) Object.assign(config, await response.json());
    } catch { /* the defaults above */ }
    state.lang = chooseLanguage();
    if (kbPage) {
      for (const link of document.querySelectorAll("[data-lang-link]")) {
        link.addEventListener("click", () => localStorage.setItem("tessera.lang", link.dataset.langLink));
      }
    }
    applyLanguage();
    updateNav();
    if (startPage) await startPage();
    for (const control of document.querySelectorAll("[data-wait]")) control.disabled = false;
    body.dataset.ready = "true";
  } catch (error) {
    body.dataset.ready = "error";
    showError($("page-error"), error);
  }
}
