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

const recordedMisses = new Set();
function recordMiss(language, query) {
  const key = `${language}:${normalise(query).trim()}`;
  if (recordedMisses.has(key)) return;
  recordedMisses.add(key);
  api("/kb/missed-searches", { method: "POST", body: { language, query }, auth: false }).catch(() => {});
}

// A search form (.kb-search): results as the reader types, a miss recorded after a pause.
export function setUpSearch(form) {
  const input = form.querySelector("input[type=search]");
  const list = form.querySelector(".results");
  const status = form.querySelector(".search-status");
  const language = () => form.dataset.language || state.lang;
  let missTimer = null;
  async function runSearch() {
    const query = input.value.trim();
    clearTimeout(missTimer);
    if (!query) { list.replaceChildren(); status.textContent = ""; return; }
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
    if (!hits.length && tokens(query).join("").length >= 3) {
      missTimer = setTimeout(() => recordMiss(searched, query), 1200);
    }
  }
  input.addEventListener("input", () => runSearch().catch((e) => showError(status, e)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch().then(() => list.querySelector("a")?.focus()).catch((e) => showError(status, e));
  });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial && !input.value) input.value = initial;
  if (input.value) runSearch().catch((e) => showError(status, e));
  rerender.push(() => runSearch().catch(() => {}));
}

export function setUpSearchForms() {
  for (const form of document.querySelectorAll(".kb-search")) setUpSearch(form);
}

window.tessera = { normalise, tokens, search, loadIndex, t }; // for tests and the benchmark
