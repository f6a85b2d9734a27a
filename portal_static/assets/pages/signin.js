// Customers sign in with a link by mail; a link from a ticket mail opens that one ticket.
import { $, busy } from "../lib/dom.js";
import { api, config, root, run, session, showError, t, updateNav } from "../portal/core.js";

const NEXT_PAGE = /^[a-z]+\.html(\?[A-Za-z0-9=&%._-]*)?$/;

// A token in the address (a magic link, or a ticket mail's signed link) becomes a session.
async function exchange() {
  const status = $("signin-status");
  const form = $("signin-form");
  const hash = new URLSearchParams(location.hash.slice(1));
  const magic = hash.get("token");
  const ticket = hash.get("ticket");
  const language = hash.get("lang");
  if (hash.has("signout")) { session.clear(); updateNav(); }
  if (!magic && !ticket) return false;
  // A ticket mail's link opens the portal in the ticket's language; the reader can switch.
  if (language && config.languages.includes(language)) localStorage.setItem("tessera.lang", language);
  history.replaceState(null, "", location.pathname); // the token leaves the address bar
  status.textContent = t("signin.working");
  form.hidden = true;
  try {
    const path = magic ? "/auth/session" : "/auth/ticket-link";
    const { token } = await api(path, { method: "POST", body: { token: magic || ticket }, auth: false });
    session.save(token, { scoped: Boolean(ticket) });
    if (ticket) {
      const tabs = await Promise.all(["open", "awaiting", "closed"].map((tab) => api(`/me/tickets?tab=${tab}`)));
      const found = tabs.flatMap((p) => p.items)[0];
      location.replace(found ? `${root}ticket.html?id=${encodeURIComponent(found.id)}` : `${root}tickets.html`);
      return true;
    }
    // Back to the page that sent the reader to sign in: named in the link (it may be opened in
    // another tab or browser), else remembered in this tab.
    const next = hash.get("next") || sessionStorage.getItem("tessera.next");
    sessionStorage.removeItem("tessera.next");
    location.replace(root + (next && NEXT_PAGE.test(next) ? next : "tickets.html"));
    return true;
  } catch {
    status.textContent = t("signin.failed");
    status.className = "error";
    form.hidden = false;
    return false;
  }
}

run(async () => {
  const status = $("signin-status");
  const form = $("signin-form");
  // A link opened in the tab that is already on this page only changes the fragment.
  window.addEventListener("hashchange", () => exchange().catch(() => {}));
  if (await exchange()) return;
  const reason = sessionStorage.getItem("tessera.reason");
  sessionStorage.removeItem("tessera.reason");
  if (reason) status.textContent = reason;
  updateNav();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = $("signin-email").value.trim();
    const button = form.querySelector("button");
    try {
      const next = sessionStorage.getItem("tessera.next");
      const body = next && NEXT_PAGE.test(next) ? { email, next } : { email };
      await busy(button, () => api("/auth/magic-link", { method: "POST", body, auth: false }));
      status.className = "notice";
      status.textContent = t("signin.sent", { email });
    } catch (error) {
      status.className = "error";
      showError(status, error);
    }
  });
});
