// The agent console: sign in, then the queue (#/view/...), a ticket (#/tickets/<id>), a new
// ticket for a customer (#/new), the agent's settings (#/settings) or reports (#/reports).
// Preact renders it all
// (docs/decisions/0003-console-front-end.md); this module is the frame around the pages.
import { render, useEffect, useState } from "../assets/vendor/htm-preact.js";
import {
  LANGUAGES, api, applyLanguage, go, html, loadWorkspace, parseRoute, say, session, setLanguage,
  signOut, store, t, tIn, update, useStore,
} from "./core.js";
import { Shortcuts, useKeys } from "./keys.js";
import { Notifications } from "./me.js";
import { NewTicket } from "./create.js";
import { Queue } from "./queue.js";
import { Reports } from "./reports.js";
import { SearchPage, searchHash } from "./search.js";
import { Settings } from "./me.js";
import { TicketPage } from "./ticket.js";
import { AdminCenter, isAdmin } from "./admin/index.js";

function SignIn() {
  const [choosing, setChoosing] = useState(false);
  const [error, setError] = useState("");
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    setError("");
    try {
      // A new account's first sign-in trades the temporary password for the agent's own.
      const { token } = await api(choosing ? "/auth/new-password" : "/auth/login", {
        method: "POST",
        auth: false,
        body: {
          email: form.get("email"),
          password: form.get("password"),
          ...(choosing ? { new_password: form.get("new_password") } : {}),
        },
      });
      session.save(token);
      await loadWorkspace();
    } catch (failure) {
      if (failure.code === "PasswordChangeRequired") setChoosing(true);
      setError(failure.code === "AccountDisabled" ? t("signin.disabled") : failure.message);
    }
  }
  return html`<main class="signin">
    <form id="sign-in" onSubmit=${submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">${t("signin.title")}</h1>
      <label>${t("signin.email")} <input name="email" type="email" autocomplete="username" required /></label>
      <label>${t("signin.password")} <input name="password" type="password" autocomplete="current-password" required /></label>
      ${choosing && html`<label>${t("signin.new_password")}
        <input name="new_password" type="password" autocomplete="new-password" minlength="12" required autofocus /></label>`}
      <button type="submit" class="primary">${t("signin.submit")}</button>
      <p class="error" role="alert">${error || store.notice}</p>
    </form>
  </main>`;
}

function Header({ route }) {
  const me = store.me;
  // `#1042` opens that ticket. Words go to the search view, which reads them as it reads its
  // own box (asTyped). A bare number is a word too, but the ticket with that number, when there
  // is one, opens at once: the search for it says so (it finds that ticket first, even one too
  // new for the index), so a number that is no ticket costs no failed request.
  async function jump(event) {
    event.preventDefault();
    const form = event.target;
    const typed = String(new FormData(form).get("q")).trimStart();
    const value = typed.trim();
    if (!value) return;
    // Out of the box: the page's own keys (a ticket's a, r, n, s; the results' j, k) work at once.
    const leave = (hash) => {
      form.reset();
      document.activeElement?.blur();
      go(hash);
    };
    const open = (id) => leave(`#/tickets/${id}`);
    const hashed = /^#(\d+)$/.exec(value);
    if (hashed) {
      try {
        open((await api(`/tickets/${encodeURIComponent(hashed[1])}`)).id);
      } catch (error) { say(t("jump.none", { q: hashed[1] })); }
      return;
    }
    if (/^\d{1,9}$/.test(value)) {
      try {
        const found = await api(`/tickets?q=${value}&limit=1`);
        const ticket = found.items.find((hit) => hit.number === Number(value));
        if (ticket) { open(ticket.id); return; }
      } catch (error) { say(error.message); return; }
    }
    leave(searchHash(typed));
  }
  async function setStatus(event) {
    try {
      const me = await api("/me", { method: "PATCH", body: { status: event.target.value } });
      update({ me, notice: t(`me.now_${me.status}`) });
    } catch (error) { say(error.message); }
  }
  return html`<header class="top">
    <a class="brand" href="#/view/mine">Tessera</a>
    <form class="jump" role="search" onSubmit=${jump}>
      <label class="visually-hidden" for="jump">${t("jump.label")}</label>
      <input id="jump" name="q" type="search" dir="auto" inputmode="search" placeholder=${t("jump.placeholder")}
        title=${t("jump.hint")} />
    </form>
    <a class="button primary" href="#/new" aria-current=${route.page === "new" ? "page" : null}>${t("nav.new")}</a>
    <${Notifications} />
    ${me && html`<label class="availability">
      <span class="visually-hidden">${t("me.status")}</span>
      <select value=${me.status} onChange=${setStatus} class=${`status-${me.status}`}>
        ${["available", "away", "offline"].map((s) => html`<option value=${s}>${t(`me.${s}`)}</option>`)}
      </select></label>`}
    <label class="language"><span class="visually-hidden">${t("language")}</span>
      <select value=${store.lang} onChange=${(e) => setLanguage(e.target.value)}>
        ${LANGUAGES.map((code) => html`<option value=${code} lang=${code}>${tIn(code, "language.name")}</option>`)}
      </select></label>
    <a href="#/reports" class="button" aria-current=${route.page === "reports" ? "page" : null}>
      ${me?.role === "agent" ? t("nav.my_numbers") : t("nav.reports")}</a>
    ${isAdmin() && html`<a href="#/admin/people" class="button" aria-current=${route.page === "admin" ? "page" : null}>${t("nav.admin")}</a>`}
    <a href="#/settings" class="button">${t("nav.settings")}</a>
    <button type="button" onClick=${signOut}>${t("nav.signout")}</button>
  </header>`;
}

function App() {
  useStore();
  const [route, setRoute] = useState(parseRoute());
  const [help, setHelp] = useState(false);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => { applyLanguage(); document.title = `${t("title")} · Tessera`; }, [store.lang]);
  useKeys({ "?": () => setHelp((open) => !open), "/": () => document.getElementById("jump")?.focus() });
  if (!store.signedIn) return html`<${SignIn} />`;
  let page;
  if (route.page === "ticket") page = html`<${TicketPage} key=${route.id} id=${route.id} />`;
  else if (route.page === "new") page = html`<${NewTicket} />`;
  else if (route.page === "settings") page = html`<${Settings} />`;
  else if (route.page === "reports") page = html`<${Reports} params=${route.params} />`;
  else if (route.page === "admin") page = html`<${AdminCenter} area=${route.area} rest=${route.rest} params=${route.params} />`;
  else if (route.page === "search") page = html`<${SearchPage} params=${route.params} />`;
  else page = html`<${Queue} view=${route.view} params=${route.params} />`;
  return html`
    <a class="skip" href="#main">${t("skip")}</a>
    <${Header} route=${route} />
    ${page}
    <p class="notice" role="status" aria-live="polite">${store.notice}</p>
    ${help && html`<${Shortcuts} onClose=${() => setHelp(false)} />`}`;
}

applyLanguage();
const root = document.getElementById("app");
(session.token ? loadWorkspace().catch(() => session.clear()) : Promise.resolve()).finally(() => {
  render(html`<${App} />`, root);
  document.body.dataset.ready = "true";
});
