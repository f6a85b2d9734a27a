// Ticket search as a view of the queue (#/search?q=...): the rail, a search box that searches
// as one types (the last word as a prefix), results ranked by relevance with their snippets.
// Snippets arrive as plain-text pieces; matched ones go in <mark> as text, never as HTML.
import { useEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import { api, go, html, number, relative, say, t, useStore } from "./core.js";
import { useKeys } from "./keys.js";
import { Rail } from "./queue.js";

const TYPING_MS = 300;

// As one types, the last word is a prefix ("refun" finds "refund"); a finished word is a word.
export const asTyped = (text) => (/[\p{L}\p{N}]$/u.test(text) && !/"[^"]*$/.test(text) ? `${text}*` : text);

export function Snippet({ pieces }) {
  return html`<p class="snippet" dir="auto">${pieces.map((p) => (p.match ? html`<mark>${p.text}</mark>` : p.text))}</p>`;
}

export function SearchPage({ params }) {
  useStore();
  const query = params.get("q") || "";
  const [text, setText] = useState(query);
  const [answer, setAnswer] = useState(null);
  const [active, setActive] = useState(0);
  const [views, setViews] = useState([]);
  const latest = useRef(0);
  useEffect(() => { api("/views").then((a) => setViews(a.items)).catch(() => {}); }, []);
  async function run(value, typed) {
    const asked = ++latest.current;
    if (!value.trim()) { setAnswer(null); return; }
    try {
      const q = typed ? asTyped(value.trim()) : value.trim();
      const found = await api(`/tickets?q=${encodeURIComponent(q)}&limit=25`);
      if (asked === latest.current) { setAnswer(found); setActive(0); }
    } catch (error) { if (asked === latest.current) say(error.message); }
  }
  useEffect(() => { setText(query); run(query, false); }, [query]);
  useEffect(() => {
    if (text === query) return undefined;
    const timer = setTimeout(() => run(text, true), TYPING_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const items = answer?.items || [];
  useKeys({
    j: () => setActive((i) => Math.min(i + 1, items.length - 1)),
    k: () => setActive((i) => Math.max(i - 1, 0)),
    Enter: () => items[active] && go(`#/tickets/${items[active].id}`),
  });
  function submit(event) {
    event.preventDefault();
    go(`#/search?q=${encodeURIComponent(text.trim())}`);
    run(text, false);
  }
  return html`<div class="workspace">
    <${Rail} views=${views} current="" />
    <main id="main" class="queue search-results" aria-busy=${answer === null && query ? "true" : "false"}>
      <h1>${t("search.title")}</h1>
      <form role="search" class="search-box" onSubmit=${submit}>
        <label for="search-text">${t("search.label")}</label>
        <input id="search-text" type="search" dir="auto" value=${text} maxlength="200"
          onInput=${(e) => setText(e.target.value)} aria-describedby="search-help" />
        <button type="submit" class="primary">${t("search.submit")}</button>
        <p id="search-help" class="hint">${t("search.help")}</p>
      </form>
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
