// The customer portal: language and direction, KB search, sign-in, tickets. No build step, no
// framework. Everything that comes from the API is written with textContent; a message's HTML
// (sanitized by the server with nh3) is shown only inside a sandboxed iframe that cannot run
// script, under a Content-Security-Policy that forbids it as well.
"use strict";
(() => {
  const STRINGS = window.TESSERA_STRINGS || { en: {} };
  const RTL = new Set(["ar", "fa", "he", "ur", "ps", "ckb"]);
  const body = document.body;
  const page = body.dataset.page || "";
  const root = body.dataset.root || "";
  const kbPage = page.startsWith("kb-");
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };
  let config = {
    name: "Support", logo: "", languages: Object.keys(STRINGS), default_language: "en",
    api: "/api", priorities: true, products: [], custom_fields: [],
    max_attachment_bytes: 10485760, max_attachments: 5,
  };
  let lang = "en";
  const rerender = [];

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

  function t(key, values = {}) {
    let text = (STRINGS[lang] && STRINGS[lang][key]) || (STRINGS.en && STRINGS.en[key]) || key;
    for (const [name, value] of Object.entries(values)) {
      const shown = typeof value === "number" ? new Intl.NumberFormat(lang).format(value) : String(value);
      text = text.split(`{${name}}`).join(shown);
    }
    return text;
  }
  const formatDate = (iso) =>
    new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  const formatBytes = (n) => {
    const mib = n / (1024 * 1024);
    return mib >= 1
      ? new Intl.NumberFormat(lang, { style: "unit", unit: "megabyte", maximumFractionDigits: 1 }).format(mib)
      : new Intl.NumberFormat(lang, { style: "unit", unit: "kilobyte", maximumFractionDigits: 0 }).format(n / 1024);
  };

  function applyLanguage() {
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
          lang = code;
          applyLanguage();
          document.querySelector(`.languages [lang="${code}"]`)?.focus();
        });
        return button;
      }));
    }
    for (const fn of rerender) fn();
  }

  function applyBrand() {
    for (const node of document.querySelectorAll(".brand-name")) node.textContent = config.name;
    for (const img of document.querySelectorAll(".brand-logo")) {
      if (config.logo) img.src = /^https:\/\//.test(config.logo) ? config.logo : root + config.logo;
      else img.remove();
    }
  }

  // ------------------------------------------------------------------ API and session
  const session = {
    get token() { return localStorage.getItem("tessera.session"); },
    get scoped() { return localStorage.getItem("tessera.scoped") === "1"; },
    save(token, scoped) {
      localStorage.setItem("tessera.session", token);
      localStorage.setItem("tessera.scoped", scoped ? "1" : "0");
    },
    clear() { localStorage.removeItem("tessera.session"); localStorage.removeItem("tessera.scoped"); },
  };

  class ApiError extends Error {
    constructor(status, message, field) { super(message); this.status = status; this.field = field; }
  }

  async function api(path, { method = "GET", body: payload, auth = true } = {}) {
    const headers = { Accept: "application/json" };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    if (auth && session.token) headers.Authorization = `Bearer ${session.token}`;
    const response = await fetch(config.api + path, {
      method, headers, body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401 && auth && session.token) {
        session.clear();
        requireSignIn(t("error.session"));
      }
      const error = data.error || {};
      const where = error.field ? `${error.field}: ` : "";
      throw new ApiError(response.status, where + (error.message || data.message || `HTTP ${response.status}`), error.field);
    }
    return data;
  }

  function requireSignIn(reason) {
    sessionStorage.setItem("tessera.next", location.pathname.split("/").pop() + location.search);
    if (reason) sessionStorage.setItem("tessera.reason", reason);
    location.assign(`${root}signin.html`);
  }

  function showError(node, error) {
    if (node) node.textContent = t("error.generic", { message: error.message || String(error) });
  }

  function updateNav() {
    const signedIn = Boolean(session.token);
    for (const a of document.querySelectorAll(".nav-signin")) a.hidden = signedIn;
    for (const a of document.querySelectorAll(".nav-signout")) a.hidden = !signedIn;
  }

  async function busy(button, work) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try { return await work(); } finally { button.disabled = false; button.removeAttribute("aria-busy"); }
  }

  // ------------------------------------------------------------------ search (offline index)
  // Same folding as tessera.kb.normalise: keep the two in step (tests compare them).
  const LETTERS = {
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
    "ٱ": "ا", "ؤ": "و", "ـ": "", "\u200c": " ", "\u200d": "", "ς": "σ",
  };
  const LETTER_RE = new RegExp(`[${Object.keys(LETTERS).join("")}]`, "gu");
  const fold = (s) => s.replace(LETTER_RE, (c) => LETTERS[c]);
  function digitValue(ch) {
    let cp = ch.codePointAt(0), start = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  }
  function normalise(text) {
    let s = fold(fold(String(text)).toLowerCase()).replace(/ß/g, "ss");
    s = s.normalize("NFD").replace(/\p{Mn}/gu, "");
    s = s.replace(/\p{Nd}/gu, (d) => (/[0-9]/.test(d) ? d : digitValue(d)));
    return fold(s.normalize("NFC"));
  }
  const tokens = (text) => normalise(text).match(/[\p{L}\p{N}]+/gu) || [];

  function within(a, b, max) {
    // Levenshtein distance of a and b if at most max, else max + 1 (banded).
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      let best = i;
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (current[j] < best) best = current[j];
      }
      if (best > max) return max + 1;
      previous = current;
    }
    return previous[b.length];
  }

  const indexes = {};
  function loadIndex(language) {
    if (!indexes[language]) {
      indexes[language] = fetch(`${root}kb/${language}/search.json`)
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then((index) => ({ ...index, vocabulary: Object.keys(index.terms) }))
        .catch((error) => { delete indexes[language]; throw error; });
    }
    return indexes[language];
  }

  function search(index, query, limit = 10) {
    const words = tokens(query);
    if (!words.length) return [];
    const best = new Map(); // doc -> array of the best score per query word
    words.forEach((word, position) => {
      const last = position === words.length - 1;
      const maxEdits = word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
      for (const term of index.vocabulary) {
        let weight = 0;
        if (term === word) weight = 1;
        else if (word.length >= 2 && term.startsWith(word)) weight = last ? 0.9 : 0.6;
        else if (maxEdits) {
          const edits = within(word, term, maxEdits);
          if (edits <= maxEdits) weight = edits === 1 ? 0.7 : 0.45;
        }
        if (!weight) continue;
        const postings = index.terms[term];
        for (let i = 0; i < postings.length; i += 2) {
          const doc = postings[i];
          const scores = best.get(doc) || new Array(words.length).fill(0);
          scores[position] = Math.max(scores[position], postings[i + 1] * weight);
          best.set(doc, scores);
        }
      }
    });
    const ranked = [];
    for (const [doc, scores] of best) {
      const matched = scores.filter(Boolean).length;
      const total = scores.reduce((a, b) => a + b, 0);
      ranked.push({ doc, score: total * (matched / words.length) ** 2 });
    }
    ranked.sort((a, b) => b.score - a.score || a.doc - b.doc);
    return ranked.slice(0, limit).map(({ doc, score }) => {
      const [url, title, description, category] = index.docs[doc];
      return { url, title, description, category, score };
    });
  }

  function resultItem(hit, suffix = "", newTab = false) {
    const link = el("a", { href: root + hit.url + suffix, text: hit.title });
    if (newTab) { link.target = "_blank"; link.rel = "noopener"; }
    return el("li", {}, link, el("p", { text: hit.description }), el("span", { class: "category", text: hit.category }));
  }

  const recordedMisses = new Set();
  function recordMiss(language, query) {
    const key = `${language}:${normalise(query).trim()}`;
    if (recordedMisses.has(key)) return;
    recordedMisses.add(key);
    api("/kb/missed-searches", { method: "POST", body: { language, query }, auth: false }).catch(() => {});
  }

  function setUpSearch(form) {
    const input = form.querySelector("input[type=search]");
    const list = form.querySelector(".results");
    const status = form.querySelector(".search-status");
    const language = () => form.dataset.language || lang;
    let missTimer = null;
    async function run() {
      const query = input.value.trim();
      clearTimeout(missTimer);
      if (!query) { list.replaceChildren(); status.textContent = ""; return; }
      const index = await loadIndex(language());
      if (input.value.trim() !== query) return; // the reader typed on
      const hits = search(index, query);
      list.replaceChildren(...hits.map((hit) => resultItem(hit)));
      status.textContent = hits.length ? t("search.count", { n: hits.length }) : t("search.none", { q: query });
      if (!hits.length && tokens(query).join("").length >= 3) {
        const searched = language();
        missTimer = setTimeout(() => recordMiss(searched, query), 1200);
      }
    }
    input.addEventListener("input", () => run().catch((e) => showError(status, e)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run().then(() => list.querySelector("a")?.focus()).catch((e) => showError(status, e));
    });
    const initial = new URLSearchParams(location.search).get("q");
    if (initial && !input.value) input.value = initial;
    if (input.value) run().catch((e) => showError(status, e));
    rerender.push(() => run().catch(() => {}));
    return run;
  }

  // ------------------------------------------------------------------ pages
  async function homePage() {
    const topics = $("topics");
    const draw = async () => {
      const index = await loadIndex(lang).catch(() => null);
      topics.replaceChildren(...(index?.topics || []).map(([url, name]) => el("li", {}, el("a", { href: root + url, text: name }))));
    };
    rerender.push(draw);
    await draw();
  }

  function articlePage() {
    const box = document.querySelector(".vote");
    if (!box) return;
    const fromForm = new URLSearchParams(location.search).get("from") === "ticket-form";
    const thanks = box.querySelector(".vote-thanks");
    for (const button of box.querySelectorAll("button[data-helpful]")) {
      button.addEventListener("click", async () => {
        const helpful = button.dataset.helpful === "true";
        await busy(button, () => api("/kb/votes", {
          method: "POST",
          auth: false,
          body: { article: box.dataset.article, language: box.dataset.language, helpful, source: fromForm ? "ticket-form" : "kb" },
        })).catch(() => {});
        for (const b of box.querySelectorAll("button")) b.disabled = true;
        thanks.textContent = helpful && fromForm ? t("kb.solved_it") : t("kb.thanks");
        box.querySelector(".vote-more").hidden = helpful;
      });
    }
  }

  async function signInPage() {
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
        await busy(button, () => api("/auth/magic-link", { method: "POST", body: { email }, auth: false }));
        status.className = "notice";
        status.textContent = t("signin.sent", { email });
      } catch (error) {
        status.className = "error";
        showError(status, error);
      }
    });
  }

  async function exchange() {
    const status = $("signin-status");
    const form = $("signin-form");
    const hash = new URLSearchParams(location.hash.slice(1));
    const magic = hash.get("token");
    const ticket = hash.get("ticket");
    if (hash.has("signout")) { session.clear(); updateNav(); }
    if (magic || ticket) {
      history.replaceState(null, "", location.pathname); // the token leaves the address bar
      status.textContent = t("signin.working");
      form.hidden = true;
      try {
        const path = magic ? "/auth/session" : "/auth/ticket-link";
        const { token } = await api(path, { method: "POST", body: { token: magic || ticket }, auth: false });
        session.save(token, Boolean(ticket));
        if (ticket) {
          const tabs = await Promise.all(["open", "awaiting", "closed"].map((tab) => api(`/me/tickets?tab=${tab}`)));
          const found = tabs.flatMap((p) => p.items)[0];
          location.replace(found ? `${root}ticket.html?id=${encodeURIComponent(found.id)}` : `${root}tickets.html`);
          return true;
        }
        const next = sessionStorage.getItem("tessera.next");
        sessionStorage.removeItem("tessera.next");
        location.replace(root + (next && /^[a-z]+\.html(\?[\w=&%.-]*)?$/.test(next) ? next : "tickets.html"));
        return true;
      } catch (error) {
        status.textContent = t("signin.failed");
        status.className = "error";
        form.hidden = false;
      }
    }
    return false;
  }

  async function ticketsPage() {
    if (!session.token) return requireSignIn();
    $("scoped-note").hidden = !session.scoped;
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
            el("td", { text: `#${new Intl.NumberFormat(lang, { useGrouping: false }).format(ticket.number)}` }),
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
    rerender.push(() => load(false));
    await select(tabs.find((tab) => tab.dataset.tab === current) || tabs[0], false);
  }

  function showLimits(node) {
    node.textContent = t("new.limits", { n: config.max_attachments, size: formatBytes(config.max_attachment_bytes) });
  }
  function checkFiles(input, errorNode) {
    const files = [...input.files];
    let problem = "";
    if (files.length > config.max_attachments) problem = t("new.too_many", { n: config.max_attachments });
    const big = files.find((f) => f.size > config.max_attachment_bytes);
    if (big) problem = t("new.too_big", { name: big.name, size: formatBytes(config.max_attachment_bytes) });
    errorNode.textContent = problem;
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    return !problem;
  }
  async function upload(ticketId, file) {
    const grant = await api(`/tickets/${encodeURIComponent(ticketId)}/attachments`, {
      method: "POST",
      body: { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size },
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
    form.append("file", file);
    const response = await fetch(grant.url, { method: "POST", body: form });
    if (!response.ok) throw new Error(`${file.name}: HTTP ${response.status}`);
    return grant.upload_id;
  }

  // A message's sanitized HTML, inside a frame that can run nothing: no allow-scripts, and a
  // CSP that forbids script, forms, frames and remote loads.
  function messageFrame(html, direction) {
    const frame = el("iframe", { title: t("ticket.thread") });
    frame.setAttribute("sandbox", "allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("referrerpolicy", "no-referrer");
    const policy = "default-src 'none'; img-src cid: data:; style-src 'unsafe-inline'; form-action 'none'";
    frame.srcdoc = `<!doctype html><html dir="${direction}"><head><meta charset="utf-8">` +
      `<meta http-equiv="Content-Security-Policy" content="${policy}"><base target="_blank">` +
      "<style>body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#111827;overflow-wrap:anywhere}img{max-width:100%}</style>" +
      `</head><body>${html}</body></html>`;
    frame.addEventListener("load", () => {
      const doc = frame.contentDocument;
      if (doc && doc.body) frame.style.blockSize = `${doc.documentElement.scrollHeight + 4}px`;
    });
    return frame;
  }

  async function ticketPage() {
    if (!session.token) return requireSignIn();
    const id = new URLSearchParams(location.search).get("id") || "";
    let ticket = null;
    async function load() {
      try {
        ticket = await api(`/tickets/${encodeURIComponent(id)}`);
      } catch (error) { showError($("page-error"), error); return; }
      draw();
    }
    function draw() {
      if (!ticket) return;
      $("ticket").hidden = false;
      const number = new Intl.NumberFormat(lang, { useGrouping: false }).format(ticket.number);
      $("ticket-title").textContent = `#${number} ${ticket.subject}`;
      $("ticket-title").dir = "auto";
      document.title = `#${number} ${ticket.subject} · ${config.name}`;
      $("ticket-status").textContent = t(`status.${ticket.status}`);
      $("ticket-opened").textContent = t("ticket.opened", { date: formatDate(ticket.created_at) });
      $("thread").replaceChildren(...ticket.messages.map((message) => {
        const mine = message.author === ticket.requester;
        const who = message.kind === "system" ? t("ticket.automatic") : mine ? t("ticket.you") : t("ticket.support");
        const item = el("li", { class: `message ${message.kind}${mine ? " mine" : ""}` },
          el("header", {}, el("span", { class: "author", text: who }), el("time", { datetime: message.created_at, text: formatDate(message.created_at) })));
        if (message.html) item.append(messageFrame(message.html, "auto"));
        else item.append(el("div", { class: "text", dir: "auto", text: message.text }));
        if (message.attachments && message.attachments.length) {
          item.append(el("ul", { class: "files", "aria-label": t("ticket.attachments") }, ...message.attachments.map((file) => {
            const button = el("button", { type: "button", text: `${file.filename} (${formatBytes(file.size)})` });
            button.addEventListener("click", async () => {
              try {
                const link = await api(`/tickets/${encodeURIComponent(ticket.id)}/attachments/${encodeURIComponent(file.id)}`);
                location.assign(link.url); // served with Content-Disposition: attachment
              } catch (error) { showError($("page-error"), error); }
            });
            return el("li", {}, button);
          })));
        }
        return item;
      }));
      const closed = ticket.status === "closed";
      const solved = ticket.status === "solved";
      $("reply-form").hidden = closed;
      $("closed-note").hidden = !closed;
      $("solve").hidden = solved || closed;
      $("reopen").hidden = !solved;
      $("rating-form").hidden = !(solved || closed);
      showLimits($("reply-limits"));
      drawStars();
    }
    function drawStars() {
      const chosen = document.querySelector('input[name="score"]:checked')?.value;
      $("stars").replaceChildren(...[1, 2, 3, 4, 5].map((n) => {
        const input = el("input", { type: "radio", name: "score", value: String(n), required: true });
        if (String(n) === chosen) input.checked = true;
        return el("label", {}, input, el("span", { text: t("ticket.score", { n }) }));
      }));
    }
    async function change(status, button) {
      try {
        await busy(button, () => api(`/tickets/${encodeURIComponent(ticket.id)}`, { method: "PATCH", body: { status } }));
        await load();
        $("ticket-status-msg").textContent = t(`status.${ticket.status}`);
      } catch (error) { showError($("page-error"), error); }
    }
    $("solve").addEventListener("click", (e) => change("solved", e.currentTarget));
    $("reopen").addEventListener("click", (e) => change("open", e.currentTarget));
    $("reply-files").addEventListener("change", () => checkFiles($("reply-files"), $("reply-files-error")));
    $("reply-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!checkFiles($("reply-files"), $("reply-files-error"))) return;
      const button = event.target.querySelector('button[type="submit"]');
      try {
        await busy(button, async () => {
          const ids = [];
          for (const file of $("reply-files").files) ids.push(await upload(ticket.id, file));
          const payload = { text: $("reply-text").value };
          if (ids.length) payload.attachments = ids;
          await api(`/tickets/${encodeURIComponent(ticket.id)}/replies`, { method: "POST", body: payload });
        });
        $("reply-text").value = "";
        $("reply-files").value = "";
        await load();
        $("ticket-status-msg").textContent = t("ticket.sent");
      } catch (error) { showError($("page-error"), error); }
    });
    $("rating-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const score = Number(new FormData(event.target).get("score"));
      const button = event.target.querySelector('button[type="submit"]');
      try {
        await busy(button, () => api(`/tickets/${encodeURIComponent(ticket.id)}/rating`, {
          method: "POST", body: { score, comment: $("rating-comment").value },
        }));
        event.target.hidden = true;
        $("ticket-status-msg").textContent = t("ticket.rated");
      } catch (error) { showError($("page-error"), error); }
    });
    rerender.push(draw);
    await load();
  }

  async function newTicketPage() {
    if (!session.token) return requireSignIn(t("new.signin_needed"));
    const form = $("new-form");
    function drawFields() {
      $("priority-field").hidden = !config.priorities;
      $("product-field").hidden = !config.products.length;
      const product = $("new-product");
      const chosen = product.value;
      product.replaceChildren(el("option", { value: "", text: t("new.choose") }),
        ...config.products.map((p) => el("option", { value: p, text: p })));
      product.value = chosen;
      const box = $("custom-fields");
      const values = Object.fromEntries([...box.querySelectorAll("[name]")].map((n) => [n.name, n.value]));
      box.replaceChildren(...config.custom_fields.flatMap((field) => {
        const id = `field-${field.key}`;
        const label = el("label", { for: id, text: field.labels[lang] || field.labels.en || Object.values(field.labels)[0] });
        const input = field.type === "select"
          ? el("select", { id, name: field.key }, el("option", { value: "", text: t("new.choose") }), ...field.options.map((o) => el("option", { value: o, text: o })))
          : el("input", { id, name: field.key, dir: "auto" });
        if (field.required) input.required = true;
        input.value = values[field.key] || "";
        return [label, input];
      }));
      showLimits($("new-limits"));
    }
    let timer = null;
    async function suggest() {
      const text = `${$("new-subject").value} ${$("new-body").value.slice(0, 200)}`.trim();
      const box = $("suggestions-box");
      if (tokens(text).join("").length < 3) { box.hidden = true; return; }
      const index = await loadIndex(lang).catch(() => null);
      const hits = index ? search(index, text, 3).filter((h) => h.score >= 50) : [];
      $("suggestions").replaceChildren(...hits.map((hit) => resultItem(hit, "?from=ticket-form", true)));
      box.hidden = !hits.length;
    }
    for (const id of ["new-subject", "new-body"]) {
      $(id).addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => suggest().catch(() => {}), 150); });
    }
    $("new-files").addEventListener("change", () => checkFiles($("new-files"), $("new-files-error")));
    suggest().catch(() => {}); // text typed (or restored by the browser) before this ran
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!checkFiles($("new-files"), $("new-files-error"))) return;
      const custom = {};
      if ($("new-product").value) custom.product = $("new-product").value;
      for (const input of $("custom-fields").querySelectorAll("[name]")) if (input.value.trim()) custom[input.name] = input.value.trim();
      const payload = { subject: $("new-subject").value.trim(), body: $("new-body").value };
      if (config.priorities) payload.priority = $("new-priority").value;
      if (Object.keys(custom).length) payload.custom_fields = custom;
      const button = form.querySelector('button[type="submit"]');
      try {
        const created = await busy(button, () => api("/tickets", { method: "POST", body: payload }));
        const files = [...$("new-files").files];
        const ids = [];
        for (const file of files) {
          try { ids.push(await upload(created.id, file)); } catch { $("new-files-error").textContent = t("new.upload_failed", { name: file.name }); }
        }
        if (ids.length) {
          await api(`/tickets/${encodeURIComponent(created.id)}/replies`, {
            method: "POST", body: { text: files.map((f) => f.name).join(", "), attachments: ids },
          });
        }
        sessionStorage.setItem("tessera.created", String(created.number));
        location.assign(`${root}ticket.html?id=${encodeURIComponent(created.id)}`);
      } catch (error) { showError($("page-error"), error); }
    });
    rerender.push(drawFields);
    drawFields();
  }

  // ------------------------------------------------------------------ start
  async function start() {
    try {
      const response = await fetch(`${root}portal.json`);
      if (response.ok) config = { ...config, ...(await response.json()) };
    } catch { /* the defaults above */ }
    lang = chooseLanguage();
    if (kbPage) {
      for (const link of document.querySelectorAll("[data-lang-link]")) {
        link.addEventListener("click", () => localStorage.setItem("tessera.lang", link.dataset.langLink));
      }
    } else {
      applyBrand();
    }
    applyLanguage();
    updateNav();
    for (const form of document.querySelectorAll(".kb-search")) setUpSearch(form);
    const created = sessionStorage.getItem("tessera.created");
    if (created && page === "ticket") {
      sessionStorage.removeItem("tessera.created");
      const note = $("ticket-status-msg");
      if (note) note.textContent = t("new.created", { number: Number(created) });
    }
    const run = { home: homePage, "kb-article": articlePage, signin: signInPage, tickets: ticketsPage, ticket: ticketPage, new: newTicketPage }[page];
    if (run) await run();
    body.dataset.ready = "true";
  }
  window.tessera = { normalise, tokens, search, loadIndex }; // for tests and the benchmark
  start().catch((error) => {
    body.dataset.ready = "error";
    showError(document.getElementById("page-error"), error);
  });
})();
