// The queue: the rail of views with live counts, one view's tickets (columns, sort, filters,
// cursor pages, j/k/x/Enter), bulk changes on the selected tickets, and a poll that reloads
// only when `GET /api/tickets/changes` says something changed.
import { useEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import {
  PRIORITIES, STATUSES, agentName, api, due, go, html, number, relative, say, store, t, update,
  useStore, withCurrent,
} from "./core.js";
import { typing, useKeys } from "./keys.js";

const POLL_MS = 15000;
const SORTS = ["updated", "sla_due", "priority", "created"];
const FILTERS = ["status", "priority", "group", "assignee", "tag"];

function viewLabel(view) {
  if (view.id.startsWith("group:")) return t("view.group", { group: view.id.slice(6) });
  return t(`view.${view.id}`);
}

export function Rail({ views, current }) {
  return html`<nav class="rail" aria-label=${t("rail.label")}>
    <ul>${views.map((view) => html`<li>
      <a href=${`#/view/${encodeURIComponent(view.id)}`} aria-current=${view.id === current ? "page" : null}
        data-view=${view.id}>
        <span class="name">${viewLabel(view)}</span>
        <span class=${`count ${view.id === "breached" && view.count ? "alert" : ""}`}
          aria-label=${t("rail.count", { n: view.count })}>${new Intl.NumberFormat(store.lang).format(view.count)}</span>
      </a></li>`)}
    </ul>
  </nav>`;
}

const CHANNELS = ["email", "portal", "api", "phone", "other"];
const DATES = ["created_from", "created_to", "updated_from", "updated_to"];

// Sort and filter controls for a list whose values live in the address: the queue's, and the
// search view's (its own sorts; channel and dates too). `fields` names the filters shown; the
// first of `sorts` is the default and stays out of the address.
export function Filters({ values, onChange, sorts = SORTS, fields = FILTERS }) {
  const { groups, agents } = store.workspace;
  const [defaultSort] = sorts;
  const set = (name, value) => onChange({ ...values, [name]: value });
  const choose = (name, options, label) => fields.includes(name) && html`<label>${t(`filter.${name}`)}
    <select name=${name} value=${values[name] || ""} onChange=${(e) => set(name, e.target.value)}>
      <option value="">${t("filter.any")}</option>
      ${options.map((o) => html`<option value=${o}>${label(o)}</option>`)}
    </select></label>`;
  return html`<div class="filters" role="group" aria-label=${t("filter.label")}>
    <label>${t("filter.sort")}
      <select name="sort" value=${values.sort || defaultSort} onChange=${(e) => set("sort", e.target.value === defaultSort ? "" : e.target.value)}>
        ${sorts.map((s) => html`<option value=${s}>${t(`sort.${s}`)}</option>`)}</select></label>
    ${choose("status", STATUSES, (s) => t(`status.${s}`))}
    ${choose("priority", PRIORITIES, (p) => t(`priority.${p}`))}
    ${choose("group", groups.map((g) => g.name), (g) => g)}
    ${choose("assignee", withCurrent(agents.map((a) => a.email), values.assignee), agentName)}
    ${choose("channel", CHANNELS, (c) => t(`channel.${c}`))}
    ${fields.includes("tag") && html`<label>${t("filter.tag")}
      <input name="tag" value=${values.tag || ""} dir="auto" size="10"
        onChange=${(e) => set("tag", e.target.value.trim())} /></label>`}
    ${DATES.filter((d) => fields.includes(d)).map((d) => html`<label>${t(`filter.${d}`)}
      <input name=${d} type="date" value=${values[d] || ""} onChange=${(e) => set(d, e.target.value)} /></label>`)}
  </div>`;
}

function BulkBar({ selected, tickets, onDone }) {
  const { groups, agents } = store.workspace;
  const [results, setResults] = useState([]);
  async function apply(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const changes = {};
    for (const name of ["status", "priority", "group", "assignee"]) if (form.get(name)) changes[name] = form.get(name);
    if (changes.assignee === "-") changes.assignee = null;
    const tag = String(form.get("tag") || "").trim();
    if (tag) changes.add_tags = [tag];
    if (!Object.keys(changes).length) return say(t("bulk.nothing"));
    try {
      const answer = await api("/tickets/bulk", { method: "POST", body: { ids: [...selected], changes } });
      const failed = answer.results.filter((r) => !r.ok);
      const label = (id) => {
        const known = tickets.find((x) => x.id === id);
        return known ? `#${number(known.number)}` : id;
      };
      setResults(failed.map((r) => ({ ...r, label: label(r.id) })));
      say(t("bulk.done", { n: answer.results.length - failed.length, failed: failed.length }));
      event.target.reset();
      onDone(failed.map((r) => r.id));
    } catch (error) { say(error.message); }
  }
  const pick = (name, options, label, extra = null) => html`<label>${t(`bulk.${name}`)}
    <select name=${name}><option value="">—</option>${extra}
      ${options.map((o) => html`<option value=${o}>${label(o)}</option>`)}</select></label>`;
  return html`<form class="bulk" onSubmit=${apply} aria-label=${t("bulk.label")}>
    <strong>${t("bulk.selected", { n: selected.size })}</strong>
    ${pick("assignee", agents.map((a) => a.email), agentName, html`<option value="-">${t("ticket.unassigned")}</option>`)}
    ${pick("status", STATUSES.filter((s) => s !== "new"), (s) => t(`status.${s}`))}
    ${pick("priority", PRIORITIES, (p) => t(`priority.${p}`))}
    ${pick("group", groups.map((g) => g.name), (g) => g)}
    <label>${t("bulk.tag")} <input name="tag" size="10" dir="auto" /></label>
    <button class="primary" type="submit">${t("bulk.apply")}</button>
    ${results.length > 0 && html`<ul class="bulk-failures" role="alert">
      ${results.map((r) => html`<li>${t("bulk.failed", { id: r.label, error: r.error })}</li>`)}</ul>`}
  </form>`;
}

function Row({ ticket, active, checked, onToggle }) {
  const sla = due(ticket.sla_due, ticket.sla_breached);
  const row = useRef(null);
  // The active row takes the focus (j/k, Enter), but never from a field being typed in: the
  // list loading under the / box would have taken the words and its Enter would open a row.
  useEffect(() => { if (active && !typing(document.activeElement)) row.current?.focus(); }, [active]);
  const open = () => go(`#/tickets/${ticket.id}`);
  return html`<tr ref=${row} tabindex=${active ? "0" : "-1"} class=${active ? "active" : ""} data-id=${ticket.id}
      onClick=${(e) => { if (!e.target.closest("input")) open(); }}
      onKeyDown=${(e) => { if (e.key === "Enter" && e.target === row.current) open(); }}>
    <td><input type="checkbox" checked=${checked} onChange=${onToggle}
      aria-label=${t("list.select", { number: number(ticket.number) })} /></td>
    <td class="number">#${number(ticket.number)}</td>
    <td class="subject" dir="auto"><a href=${`#/tickets/${ticket.id}`} tabindex="-1">${ticket.subject}</a></td>
    <td class="requester">${ticket.requester}</td>
    <td><span class=${`badge status-${ticket.status}`}>${t(`status.${ticket.status}`)}</span></td>
    <td><span class=${`badge priority-${ticket.priority}`}>${t(`priority.${ticket.priority}`)}</span></td>
    <td>${ticket.group || "—"}</td>
    <td>${ticket.assignee ? agentName(ticket.assignee) : t("ticket.unassigned")}</td>
    <td class=${`sla ${sla.level}`}>${sla.text}</td>
    <td><time datetime=${ticket.updated_at} title=${ticket.updated_at}>${relative(ticket.updated_at)}</time></td>
  </tr>`;
}

// The rail as last read: a view opens at once with these counts while they are read again.
// Kept per agent: another agent signing in on this tab never sees them.
let known = { agent: null, views: [] };
const knownViews = () => (known.agent === store.me?.email ? known.views : []);

// Where a view's list is, before the rail is read: the rail's own query string when known,
// else the view's id (GET /api/tickets understands both).
function queryOf(view, views) {
  const known = views.find((v) => v.id === view);
  if (known) return known.query;
  if (view.startsWith("group:")) return `view=group&group=${encodeURIComponent(view.slice(6))}`;
  if (view === "all") return "view=all&status=new%2Copen";
  return `view=${encodeURIComponent(view)}`;
}

export function Queue({ view, params }) {
  useStore();
  const [views, setViews] = useState(knownViews());
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [active, setActive] = useState(0);
  const [selected, setSelected] = useState(new Set());
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState("");
  useEffect(() => { update({ lastQueue: location.hash || "#/view/mine" }); }, [view, params.toString()]);
  const filters = Object.fromEntries(FILTERS.concat("sort").map((n) => [n, params.get(n) || ""]));
  const latest = useRef(null);
  // Each reload is a generation: an answer for an older one (the view before this) is dropped,
  // so a slow answer never draws another view's tickets over this one's.
  const generation = useRef(0);
  const current = views.find((v) => v.id === view);

  async function loadViews() {
    const answer = await api("/views");
    known = { agent: store.me?.email, views: answer.items };
    setViews(answer.items);
  }
  async function loadPage(more = false, asked = generation.current) {
    const query = new URLSearchParams(queryOf(view, knownViews()));
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    query.set("limit", "25");
    if (more && cursor) query.set("cursor", cursor);
    const page = await api(`/tickets?${query}`);
    if (asked !== generation.current) return;
    setItems((before) => (more ? [...before, ...page.items] : page.items));
    setCursor(page.cursor);
    for (const ticket of page.items) {
      if (!latest.current || ticket.updated_at > latest.current) latest.current = ticket.updated_at;
    }
  }
  // The list and the rail are read side by side: neither waits for the other.
  async function reload() {
    const asked = ++generation.current;
    try {
      setProblem("");
      await Promise.all([loadViews(), loadPage(false, asked)]);
    } catch (error) {
      if (asked !== generation.current) return;
      // A filter the view refuses (GET /api/tickets says which): shown where the list would be.
      setProblem(error.message);
      setItems([]);
    } finally { if (asked === generation.current) setLoading(false); }
  }
  useEffect(() => { setLoading(true); setActive(0); setSelected(new Set()); reload(); }, [view, params.toString()]);
  useEffect(() => {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      try {
        const since = latest.current || new Date(0).toISOString();
        const answer = await api(`/tickets/changes?since=${encodeURIComponent(since)}`);
        if (answer.changed) {
          if (answer.latest) latest.current = answer.latest;
          await reload();
        }
      } catch { /* the next poll tries again */ }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [view, params.toString()]);

  function setFilters(values) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
    go(`#/view/${encodeURIComponent(view)}${query.size ? `?${query}` : ""}`);
  }
  function toggle(id) {
    setSelected((before) => {
      const next = new Set(before);
      if (next.has(id)) next.delete(id); else next.add(id);
      return next;
    });
  }
  useKeys({
    j: () => setActive((i) => Math.min(i + 1, items.length - 1)),
    k: () => setActive((i) => Math.max(i - 1, 0)),
    x: () => items[active] && toggle(items[active].id),
    Enter: () => items[active] && go(`#/tickets/${items[active].id}`),
  });
  const all = items.length > 0 && items.every((ticket) => selected.has(ticket.id));
  return html`<div class="workspace">
    <${Rail} views=${views} current=${view} />
    <main id="main" class="queue" aria-busy=${loading ? "true" : "false"}>
      <h1>${current ? viewLabel(current) : t("view.all")}</h1>
      <${Filters} values=${filters} onChange=${setFilters} />
      ${selected.size > 0 && html`<${BulkBar} selected=${selected} tickets=${items}
        onDone=${(failed) => { setSelected(new Set(failed)); reload(); }} />`}
      <div class="table-wrap"><table class="tickets">
        <caption class="visually-hidden">${t("list.caption")}</caption>
        <thead><tr>
          <th scope="col"><input type="checkbox" checked=${all} aria-label=${t("list.select_all")}
            onChange=${() => setSelected(all ? new Set() : new Set(items.map((ticket) => ticket.id)))} /></th>
          ${["number", "subject", "requester", "status", "priority", "group", "assignee", "sla", "updated"].map(
            (c) => html`<th scope="col">${t(`col.${c}`)}</th>`)}
        </tr></thead>
        <tbody>${items.map((ticket, i) => html`<${Row} key=${ticket.id} ticket=${ticket} active=${i === active}
          checked=${selected.has(ticket.id)} onToggle=${() => toggle(ticket.id)} />`)}</tbody>
      </table></div>
      ${problem && html`<p class="error" role="alert">${t("list.refused", { problem })}</p>`}
      ${!loading && !problem && items.length === 0 && html`<p class="empty">${
        FILTERS.some((f) => filters[f]) ? t("list.empty_filtered") : t("list.empty")}</p>`}
      ${cursor && html`<button type="button" onClick=${() => loadPage(true)}>${t("list.more")}</button>`}
    </main>
  </div>`;
}
