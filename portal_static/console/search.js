// Ticket search as a view of the queue (#/search?q=...&status=...&sort=...): the rail, a search
// box that searches as one types (the last word as a prefix), the queue's sort and filter
// controls, results ranked by relevance with their snippets. The address holds what the box and
// the filters say: typing replaces it (no history entry per key), a filter adds one, so Back
// from a ticket comes back to the last words typed. Snippets arrive as plain-text pieces;
// matched ones go in <mark> as text, never as HTML.
import { useEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import { api, dayEnd, dayStart, go, html, number, relative, say, t, useStore } from "./core.js";
import { useKeys } from "./keys.js";
import { Filters, Rail } from "./queue.js";

const TYPING_MS = 300;
const SORTS = ["relevance", "updated", "created"];
const FIELDS = ["status", "priority", "group", "assignee", "tag", "channel",
  "created_from", "created_to", "updated_from", "updated_to"];

// What the search sends for what the agent typed, wherever they typed it (this view's box or
// the / box): the last word is a prefix ("refun" finds "refund") unless it is finished — it
// ends in a space or a closing quote — or is a ticket number (#1042).
export const asTyped = (text) =>
  /[\p{L}\p{N}]$/u.test(text) && !/"[^"]*$/.test(text) && !/(^|\s)#\d+$/.test(text) ? `${text}*` : text;

// The search view's address for these words and filters.
export function searchHash(text, filters = {}) {
  const query = new URLSearchParams({ q: text });
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  return `#/search?${query}`;
}

// The API's query: dates of the date inputs are whole days in the agent's time zone.
function apiQuery(text, filters) {
  const query = new URLSearchParams({ q: asTyped(text).trim(), limit: "25" });
  for (const [name, value] of Object.entries(filters)) {
    if (!value) continue;
    if (name.endsWith("_from")) query.set(name, dayStart(value));
    else if (name.endsWith("_to")) query.set(name, dayEnd(value));
    else query.set(name, value);
  }
  return query;
}

export function Snippet({ pieces }) {
  return html`<p class="snippet" dir="auto">${pieces.map((p) => (p.match ? html`<mark>${p.text}</mark>` : p.text))}</p>`;
}

export function SearchPage({ params }) {
  useStore();
  const query = params.get("q") || "";
  const filters = Object.fromEntries(["sort", ...FIELDS].map((n) => [n, params.get(n) || ""]));
  const filterKey = JSON.stringify(filters);
  const [text, setText] = useState(query);
  const [answer, setAnswer] = useState(null);
  const [active, setActive] = useState(0);
  const [views, setViews] = useState([]);
  const latest = useRef(0);
  const typing = useRef(false);
  useEffect(() => { api("/views").then((a) => setViews(a.items)).catch(() => {}); }, []);
  async function run(value) {
    const asked = ++latest.current;
    if (!value.trim()) { setAnswer(null); return; }
    try {
      const found = await api(`/tickets?${apiQuery(value, filters)}`);
      if (asked === latest.current) { setAnswer(found); setActive(0); }
    } catch (error) { if (asked === latest.current) say(error.message); }
  }
  // The address changed under the view (Back, the / box, a filter): its words are the box's.
  // Each hashchange parses a new params; typing only replaces the address, and keeps it.
  useEffect(() => { setText(query); }, [params]);
  // Every change of the words or filters asks again, even for words asked before (an answer
  // shown may be an older one's); typing waits for a pause, anything else asks at once.
  useEffect(() => {
    const delay = typing.current ? TYPING_MS : 0;
    typing.current = false;
    const timer = setTimeout(() => run(text), delay);
    return () => clearTimeout(timer);
  }, [text, filterKey]);
  function type(value) {
    typing.current = true;
    setText(value);
    history.replaceState(history.state, "", searchHash(value, filters));
  }
  const items = answer?.items || [];
  useKeys({
    j: () => setActive((i) => Math.min(i + 1, items.length - 1)),
    k: () => setActive((i) => Math.max(i - 1, 0)),
    Enter: () => items[active] && go(`#/tickets/${items[active].id}`),
  });
  function submit(event) {
    event.preventDefault();
    run(text);
  }
  return html`<div class="workspace">
    <${Rail} views=${views} current="" />
    <main id="main" class="queue search-results" aria-busy=${answer === null && query ? "true" : "false"}>
      <h1>${t("search.title")}</h1>
      <form role="search" class="search-box" onSubmit=${submit}>
        <label for="search-text">${t("search.label")}</label>
        <input id="search-text" type="search" dir="auto" value=${text} maxlength="200"
          onInput=${(e) => type(e.target.value)} aria-describedby="search-help" />
        <button type="submit" class="primary">${t("search.submit")}</button>
        <p id="search-help" class="hint">${t("search.help")}</p>
      </form>
      <${Filters} values=${filters} sorts=${SORTS} fields=${FIELDS} onChange=${(next) => go(searchHash(text, next))} />
      ${answer && html`<p class="count" role="status">${t("search.count", { n: answer.total })}</p>`}
      <ol class="hits">${items.map((hit, i) => html`<li key=${hit.id} class=${i === active ? "active" : ""}
          aria-current=${i === active ? "true" : null}>
        <a href=${`#/tickets/${hit.id}`}><span class="number">${number(hit.number)}</span>
          <span class="subject" dir="auto">${hit.subject}</span></a>
        <span class=${`status status-${hit.status}`}>${t(`status.${hit.status}`)}</span>
        <span class="where">${t(`search.in_${hit.matched_in}`)}</span>
        <time datetime=${hit.updated_at}>${relative(hit.updated_at)}</time>
        <${Snippet} pieces=${hit.snippet} />
      </li>`)}</ol>
      ${answer && items.length === 0 && html`<p class="empty">${t("search.none")}</p>`}
    </main>
  </div>`;
}
