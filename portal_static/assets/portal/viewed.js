// The knowledge-base articles this browser viewed lately: each article page remembers itself,
// the new-ticket form sends them with the ticket (POST /api/tickets, viewed_articles) and then
// forgets them, and the reports count tickets opened after viewing an article (docs/reports.md).
//
// Kept in localStorage, not sessionStorage, for the reason the session token is (core.js): a
// customer who reads signed out signs in through a mailed link, which opens a new tab, and a
// suggestion of the ticket form opens in a new tab too; either would start with an empty
// sessionStorage. So "lately" is bounded instead: the 10 most recent articles, each once, viewed
// in the last 24 hours.
const KEY = "tessera.viewed";
const MAX_VIEWED = 10; // the API takes at most 10 (tessera.kb.feedback.MAX_VIEWED)
const VIEWED_FOR_MS = 24 * 3600 * 1000;
// The API's patterns (api/schemas.py): one stored entry it would refuse must not refuse a ticket.
const LANGUAGE = /^[a-z]{2,3}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,80}$/;

function read(now) {
  let items;
  try { items = JSON.parse(localStorage.getItem(KEY) || "[]"); } catch { return []; }
  if (!Array.isArray(items)) return [];
  return items.filter((v) => v && LANGUAGE.test(v.language) && SLUG.test(v.article)
    && Number.isFinite(v.at) && now - v.at < VIEWED_FOR_MS);
}

export function rememberViewed(language, article) {
  if (!LANGUAGE.test(language) || !SLUG.test(article)) return;
  const now = Date.now();
  const others = read(now).filter((v) => v.language !== language || v.article !== article);
  try {
    localStorage.setItem(KEY, JSON.stringify([{ language, article, at: now }, ...others].slice(0, MAX_VIEWED)));
  } catch { /* storage full or refused: the article is simply not counted */ }
}

// Most recent first, as the API expects them.
export const viewedArticles = () => read(Date.now()).map(({ language, article }) => ({ language, article }));

export function forgetViewed() {
  localStorage.removeItem(KEY);
}
