// The agent's own corner: the notifications badge (assigned to me, a customer replied on my
// ticket) with its list, and the settings page (availability, which notifications mail me,
// language and time zone).
import { useEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import { icon } from "./icons.js";
import {
  LANGUAGES, api, go, html, number, relative, saveZone, say, setLanguage, store, t, tIn, update,
  useStore,
} from "./core.js";

const POLL_MS = 30000;

export function Notifications() {
  useStore();
  const [answer, setAnswer] = useState({ items: [], unread: 0 });
  const [open, setOpen] = useState(false);
  const panel = useRef(null);
  async function load() {
    try { setAnswer(await api("/me/notifications?limit=20")); } catch { /* next poll */ }
  }
  useEffect(() => {
    const close = (event) => { if (event.type === "hashchange" || event.key === "Escape") setOpen(false); };
    addEventListener("hashchange", close);
    addEventListener("keydown", close);
    return () => { removeEventListener("hashchange", close); removeEventListener("keydown", close); };
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(() => { if (!document.hidden) load(); }, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  async function read(body) {
    try {
      await api("/me/notifications/read", { method: "POST", body });
      await load();
    } catch (error) { say(error.message); }
  }
  function follow(item) {
    setOpen(false);
    if (!item.read) read({ ids: [item.id] });
    go(`#/tickets/${item.ticket_id}`);
  }
  return html`<div class="notifications">
    <button type="button" aria-expanded=${open ? "true" : "false"} aria-controls="notifications-panel"
      onClick=${() => setOpen(!open)} aria-label=${t("notify.button", { n: answer.unread })}>
      ${icon("bell")}${answer.unread > 0 && html`<span class="unread">${new Intl.NumberFormat(store.lang).format(answer.unread)}</span>`}
    </button>
    ${open && html`<div id="notifications-panel" ref=${panel} class="popover" role="region" aria-label=${t("notify.title")}>
      <h2>${t("notify.title")}</h2>
      ${answer.items.length === 0 ? html`<p>${t("notify.none")}</p>` : html`<ul>${answer.items.map((item) => html`
        <li class=${item.read ? "is-read" : "is-unread"}><button type="button" class="link" onClick=${() => follow(item)}>
          ${t(`notify.${item.kind}`, { number: number(item.number) })} <span dir="auto">${item.subject}</span>
          <small>${relative(item.at)}</small></button></li>`)}</ul>`}
      ${answer.unread > 0 && html`<button type="button" onClick=${() => read({ all: true })}>${t("notify.read_all")}</button>`}
    </div>`}
  </div>`;
}

export function Settings() {
  useStore();
  const me = store.me;
  async function save(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const saved = await api("/me", {
        method: "PATCH",
        body: {
          status: form.get("status"),
          notify: {
            assigned: form.get("assigned") === "on",
            customer_reply: form.get("customer_reply") === "on",
            ...(me.role === "agent" ? {} : { weekly_digest: form.get("weekly_digest") === "on" }),
          },
        },
      });
      update({ me: saved });
      saveZone(saved.email, String(form.get("zone")));
      setLanguage(String(form.get("lang")));
      say(t("settings.saved"));
    } catch (error) { say(error.message); }
  }
  if (!me) return html`<main id="main"><p>…</p></main>`;
  const listed = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
  const zones = listed.includes(store.zone) ? listed : [store.zone, ...listed];
  return html`<main id="main" class="settings">
    <h1>${t("settings.title")}</h1>
    <p>${me.name} · ${me.email} · ${t(`role.${me.role}`)}${me.groups?.length ? ` · ${me.groups.join(", ")}` : ""}</p>
    <form onSubmit=${save}>
      <fieldset><legend>${t("me.status")}</legend>
        ${["available", "away", "offline"].map((s) => html`<label class="inline">
          <input type="radio" name="status" value=${s} checked=${me.status === s} /> ${t(`me.${s}`)}</label>`)}
        <p class="hint">${t("settings.status_hint")}</p>
      </fieldset>
      <fieldset><legend>${t("settings.mail_me")}</legend>
        <label class="inline"><input type="checkbox" name="assigned" checked=${me.notify?.assigned} /> ${t("settings.notify_assigned")}</label>
        <label class="inline"><input type="checkbox" name="customer_reply" checked=${me.notify?.customer_reply} /> ${t("settings.notify_reply")}</label>
        ${me.role !== "agent" && html`<label class="inline"><input type="checkbox" name="weekly_digest"
          checked=${me.notify?.weekly_digest} /> ${t("settings.notify_digest")}</label>`}
      </fieldset>
      <label>${t("language")} <select name="lang" value=${store.lang}>
        ${LANGUAGES.map((code) => html`<option value=${code} lang=${code}>${tIn(code, "language.name")}</option>`)}</select></label>
      <label>${t("settings.zone")} <select name="zone" value=${store.zone}>
        ${zones.map((z) => html`<option value=${z}>${z.replace(/_/g, " ")}</option>`)}</select></label>
      <button type="submit" class="primary">${t("settings.save")}</button>
    </form>
  </main>`;
}
