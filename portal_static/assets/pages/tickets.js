// "My tickets": the customer's tickets in three tabs (open, awaiting your reply, closed).
import { $, el } from "../lib/dom.js";
import { api, formatDate, formatNumber, requireSignIn, rerender, root, run, session, showError, t } from "../portal/core.js";

run(async () => {
  if (!session.token) return requireSignIn();
  $("scoped-note").hidden = !session.flag("scoped");
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  let current = new URLSearchParams(location.search).get("tab") || "open";
  let cursor = null;
  let latest = 0; // a slower answer for a tab the customer already left is dropped
  async function load(append) {
    const query = new URLSearchParams({ tab: current, limit: "25" });
    if (append && cursor) query.set("cursor", cursor);
    const request = ++latest;
    try {
      const data = await api(`/me/tickets?${query}`);
      if (request !== latest) return;
      const rows = data.items.map((ticket) => {
        const link = el("a", { href: `${root}ticket.html?id=${encodeURIComponent(ticket.id)}`, text: ticket.subject, dir: "auto" });
        return el("tr", {},
          el("td", { text: `#${formatNumber(ticket.number)}` }),
          el("td", {}, link),
          el("td", {}, el("span", { class: "status", text: t(`status.${ticket.status}`) })),
          el("td", { text: formatDate(ticket.updated_at || ticket.created_at) }));
      });
      if (append) $("ticket-rows").append(...rows); else $("ticket-rows").replaceChildren(...rows);
      cursor = data.cursor;
      $("more").hidden = !cursor;
      $("tickets-empty").hidden = $("ticket-rows").children.length > 0;
    } catch (error) { showError($("page-error"), error); }
  }
  function select(tab, focus) {
    current = tab.dataset.tab;
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
    }
    $("tab-panel").setAttribute("aria-labelledby", tab.id);
    if (focus) tab.focus();
    history.replaceState(null, "", `?tab=${current}`);
    return load(false);
  }
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (event) => {
      const rtl = document.documentElement.dir === "rtl";
      const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1, Home: -i, End: tabs.length - 1 - i }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      select(tabs[(i + step + tabs.length) % tabs.length], true);
    });
  });
  $("more").addEventListener("click", () => load(true));
  // Search: only the customer's own tickets and public messages (the API applies it inside the
  // index query); snippets are text pieces, matched ones in <mark>, never HTML.
  const showTabs = (visible) => {
    document.querySelector('[role="tablist"]').hidden = !visible;
    $("tab-panel").hidden = !visible;
    $("search-results").hidden = visible;
    $("search-clear").hidden = visible;
  };
  $("ticket-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("ticket-q").value.trim();
    if (!q) { showTabs(true); return; }
    const request = ++latest;
    try {
      const data = await api(`/me/tickets?${new URLSearchParams({ q, limit: "25" })}`);
      if (request !== latest) return;
      $("search-hits").replaceChildren(...data.items.map((hit) => el("li", {},
        el("a", { href: `${root}ticket.html?id=${encodeURIComponent(hit.id)}`, dir: "auto", text: `#${formatNumber(hit.number)} ${hit.subject}` }),
        " ",
        el("span", { class: "status", text: t(`status.${hit.status}`) }),
        el("p", { class: "snippet", dir: "auto" }, ...hit.snippet.map((piece) => (piece.match ? el("mark", { text: piece.text }) : piece.text))))));
      $("search-count").textContent = data.total ? t("tickets.search_count", { n: data.total }) : t("tickets.search_none");
      showTabs(false);
    } catch (error) { showError($("page-error"), error); }
  });
  $("search-clear").addEventListener("click", () => { $("ticket-q").value = ""; showTabs(true); });
  rerender.push(() => load(false));
  await select(tabs.find((tab) => tab.dataset.tab === current) || tabs[0], false);
});
