// Knowledge-base search in the browser, over the index the publisher wrote
// (kb/<language>/search.json, tessera.kb.search): typo tolerance, prefixes, ranking.
import { el } from "../lib/dom.js";
import { api, config, rerender, root, showError, state, t } from "./core.js";

// Same folding as tessera.text.normalise: keep the two in step (tests compare them).
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
export function normalise(text) {
  let s = fold(fold(String(text)).toLowerCase()).replace(/ß/g, "ss");
  s = s.normalize("NFD").replace(/\p{Mn}/gu, "");
  s = s.replace(/\p{Nd}/gu, (d) => (/[0-9]/.test(d) ? d : digitValue(d)));
  return fold(s.normalize("NFC"));
}
export const tokens = (text) => normalise(text).match(/[\p{L}\p{N}]+/gu) || [];

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
export function loadIndex(language) {
  if (!indexes[language]) {
    indexes[language] = fetch(`${root}kb/${language}/search.json`)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((index) => ({ ...index, vocabulary: Object.keys(index.terms) }))
      .catch((error) => { delete indexes[language]; throw error; });
  }
  return indexes[language];
}

export function search(index, query, limit = 10) {
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

export function resultItem(hit, suffix = "", newTab = false) {
  const link = el("a", { href: root + hit.url + suffix, text: hit.title });
  if (newTab) { link.target = "_blank"; link.rel = "noopener"; }
  return el("li", {}, link, el("p", { text: hit.description }), el("span", { class: "category", text: hit.category }));
}

// The language a query is written in, by its script, among the portal's languages: Persian
// typed on the English page is searched in the Persian articles.
const SCRIPTS = [["Arabic", ["fa", "ar", "ur"]], ["Greek", ["el"]], ["Hebrew", ["he"]], ["Cyrillic", ["ru", "uk", "bg"]]];
function languageOf(query, current) {
  for (const [script, languages] of SCRIPTS) {
    if (new RegExp(`\\p{Script=${script}}`, "u").test(query)) {
      return languages.find((l) => l === current) || languages.find((l) => config.languages.includes(l)) || current;
    }
  }
  return current;
}

// One search a reader made is reported once (POST /api/kb/searches, with how many articles it
// found: none is a miss), not once per keystroke: when they stop typing for SETTLED_MS, submit
// the form or follow a result, whichever comes first. A query of fewer than 3 letters is not a
// search yet, and the same words in the same language count once per page.
const SETTLED_MS = 1200;
const reported = new Set();
function reportSearch(found) {
  if (!found || tokens(found.query).join("").length < 3) return;
  const key = `${found.language}:${tokens(found.query).join(" ")}`;
  if (reported.has(key)) return;
  reported.add(key);
  const body = { language: found.language, query: found.query, results: found.hits.length };
  // keepalive: a followed result leaves the page while the report is on its way
  api("/kb/searches", { method: "POST", body, auth: false, keepalive: true }).catch(() => {});
}

// A search form (.kb-search): results as the reader types, the search reported once it settles.
export function setUpSearch(form) {
  const input = form.querySelector("input[type=search]");
  const list = form.querySelector(".results");
  const status = form.querySelector(".search-status");
  const language = () => form.dataset.language || state.lang;
  let settleTimer = null;
  let shown = null; // the search whose results are on the page: { language, query, hits }
  const settle = () => { clearTimeout(settleTimer); reportSearch(shown); };
  async function runSearch({ typed = true } = {}) {
    const query = input.value.trim();
    if (typed) clearTimeout(settleTimer);
    if (!query) { list.replaceChildren(); status.textContent = ""; shown = null; return; }
    const searched = languageOf(query, language());
    const index = await loadIndex(searched);
    if (input.value.trim() !== query) return; // the reader typed on
    const hits = search(index, query);
    list.replaceChildren(...hits.map((hit) => resultItem(hit)));
    const count = hits.length ? t("search.count", { n: hits.length }) : t("search.none", { q: query });
    const elsewhere = searched !== language() && hits.length;
    const name = (window.TESSERA_STRINGS[searched] || {})["language.name"] || searched;
    status.textContent = elsewhere ? `${t("search.elsewhere", { language: name })} ${count}` : count;
    list.lang = searched;
    shown = { language: searched, query, hits };
    if (typed) settleTimer = setTimeout(settle, SETTLED_MS);
  }
  input.addEventListener("input", () => runSearch().catch((e) => showError(status, e)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch().then(() => { settle(); list.querySelector("a")?.focus(); }).catch((e) => showError(status, e));
  });
  list.addEventListener("click", (event) => { if (event.target.closest("a")) settle(); });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial && !input.value) input.value = initial;
  if (input.value) runSearch().catch((e) => showError(status, e));
  // The same query again in the reader's new language: the results change, the search is not new.
  rerender.push(() => runSearch({ typed: false }).catch(() => {}));
}

export function setUpSearchForms() {
  for (const form of document.querySelectorAll(".kb-search")) setUpSearch(form);
}

window.tessera = { normalise, tokens, search, loadIndex, t }; // for tests and the benchmark
