// Reports (#/reports): the day's backlog and SLA risk, the last 30 days created and solved (a
// uPlot chart, also as a table), the period's numbers per agent, group, channel, customer,
// requester domain, mailbox, tag, priority or language, CSAT comments, CSV downloads. Admins and leads see the team; an agent
// sees "My numbers" (the API answers scope "own"). uPlot is loaded only on this page.
import { useEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import { api, day, duration, go, html, number, say, store, t, useStore } from "./core.js";

const DIMENSIONS = ["agent", "group", "channel", "customer", "domain", "mailbox", "tag", "priority", "language"];

// A local date (YYYY-MM-DD) in the agent's zone, `days` from today.
function localDate(days = 0) {
  const at = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: store.zone }).format(at);
}
const num = (n) => (n === null || n === undefined ? "—" : new Intl.NumberFormat(store.lang).format(n));
const pct = (x) => (x === null || x === undefined ? "—"
  : new Intl.NumberFormat(store.lang, { style: "percent", maximumFractionDigits: 1 }).format(x));
const secs = (s) => (s === null || s === undefined ? "—" : duration(Math.max(0, Math.round(s / 60))));

let uplotLoading = null;
function loadUplot() {
  if (!uplotLoading) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "../assets/vendor/uplot.css";
    document.head.append(link);
    uplotLoading = import("../assets/vendor/uplot.js").then((module) => module.default);
  }
  return uplotLoading;
}

// The chart's x values are the periods' noon (UTC seconds), back to the date they stand for.
const dateOf = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
const SHORT_DAY = { month: "short", day: "numeric" };
// Whole tickets: the y axis steps by whole numbers only.
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

function TrendChart({ series, from, to }) {
  const box = useRef(null);
  useEffect(() => {
    let chart = null;
    let gone = false;
    loadUplot().then((uPlot) => {
      if (gone || !box.current) return;
      const days = series.map((p) => Date.parse(`${p.period}T12:00:00Z`) / 1000);
      const width = Math.max(280, box.current.clientWidth || 600);
      // One label per day when they fit (uPlot's own time ticks would fall on hours for a
      // short range), else every n-th day; written with the console's dates (Persian calendar
      // and digits in Persian).
      const fit = Math.max(1, Math.floor((width - 60) / 72));
      const step = Math.ceil(days.length / fit);
      const count = (u, v) => (v === null || v === undefined ? "—" : num(v));
      chart = new uPlot({
        width, height: 220,
        scales: {
          // a single day still gets a width to draw in
          x: { time: true, range: (u, min, max) => (min === max ? [min - 43200, max + 43200] : [min, max]) },
          // 0 to at least 5: an empty period is a flat line at 0, not a 0-100 scale of nothing
          y: { range: (u, min, max) => [0, Math.max(5, Math.ceil((max || 0) * 1.1))] },
        },
        series: [{ label: t("reports.day"), value: (u, v) => (v === null || v === undefined ? "—" : day(dateOf(v))) },
          { label: t("reports.created"), stroke: "#175cd3", width: 2, value: count },
          { label: t("reports.solved"), stroke: "#2f855a", width: 2, dash: [6, 3], value: count }],
        axes: [
          { splits: () => days.filter((_, i) => i % step === 0),
            values: (u, splits) => splits.map((s) => day(dateOf(s), SHORT_DAY)) },
          { label: "", incrs: WHOLE_STEPS, values: (u, splits) => splits.map((v) => num(v)) },
        ],
      }, [days, series.map((p) => p.created), series.map((p) => p.solved)], box.current);
    });
    return () => { gone = true; chart?.destroy(); };
  }, [series, store.lang]);
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" dir="ltr" aria-label=${t("reports.trend_label", { from: day(from), to: day(to) })}></div>
    <details><summary>${t("reports.as_table")}</summary>
      <table><thead><tr><th scope="col">${t("reports.day")}</th><th scope="col">${t("reports.created")}</th>
        <th scope="col">${t("reports.solved")}</th><th scope="col">${t("reports.reopened")}</th></tr></thead>
      <tbody>${series.map((p) => html`<tr><th scope="row">${day(p.period)}</th><td>${num(p.created)}</td>
        <td>${num(p.solved)}</td><td>${num(p.reopened)}</td></tr>`)}</tbody></table>
    </details>
  </figure>`;
}

function FiguresRow({ row, label, head }) {
  const Cell = head ? "th" : "td";
  return html`<tr class=${head ? "total" : ""}>
    <th scope="row" dir="auto">${label}</th>
    <${Cell}>${num(row.created)}</${Cell}><${Cell}>${num(row.solved)}</${Cell}><${Cell}>${num(row.reopened)}</${Cell}>
    <${Cell}>${secs(row.first_response.median_s)}</${Cell}><${Cell}>${secs(row.first_response.business_median_s)}</${Cell}>
    <${Cell}>${secs(row.next_reply.median_s)}</${Cell}><${Cell}>${secs(row.next_reply.business_median_s)}</${Cell}>
    <${Cell}>${secs(row.resolution.median_s)}</${Cell}>
    <${Cell}>${pct(row.fcr_rate)}</${Cell}><${Cell}>${pct(row.csat.satisfied_rate)}</${Cell}><${Cell}>${pct(row.sla.attained_rate)}</${Cell}>
  </tr>`;
}

async function download(path, name) {
  try {
    const blob = await api(path, { as: "blob" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    say(t("reports.downloaded", { name }));
  } catch (error) { say(error.message); }
}

export function Reports({ params }) {
  useStore();
  const own = store.me?.role === "agent";
  const from = params.get("from") || localDate(-29);
  const to = params.get("to") || localDate(0);
  const by = own ? "agent" : (DIMENSIONS.includes(params.get("group_by")) ? params.get("group_by") : "agent");
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  const range = `from=${from}&to=${to}&tz=${encodeURIComponent(store.zone)}`;
  useEffect(() => {
    let current = true;
    setError("");
    const today = localDate(0);
    Promise.all([
      api(`/reports/summary?${range}&group_by=${by}&interval=day`),
      api(`/reports/summary?from=${today}&to=${today}&tz=${encodeURIComponent(store.zone)}${own ? "&group_by=agent" : ""}`),
      api(`/reports/comments?${range}`),
      api("/views").catch(() => ({ items: [] })),
      by === "agent" ? api("/reports/workload") : Promise.resolve({ items: [] }),
      own ? Promise.resolve(null) : api("/reports/kb"),
    ]).then(([summary, day, comments, views, workload, kb]) => {
      if (current) setData({ summary, day, comments: comments.items, views: views.items, workload: workload.items, kb });
    }).catch((failure) => { if (current) { setError(failure.message); setData(null); } });
    return () => { current = false; };
  }, [range, by, own]);

  function apply(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const query = new URLSearchParams({ from: form.get("from"), to: form.get("to") });
    if (!own) query.set("group_by", form.get("group_by"));
    go(`#/reports?${query}`);
  }
  const count = (id) => data?.views.find((v) => v.id === id)?.count;
  const title = own ? t("reports.mine") : t("reports.title");
  return html`<main id="main" class="reports">
    <h1>${title}</h1>
    ${/* Uncontrolled fields, new for each applied query: a re-render (a notification poll)
        must not put back the applied values over what the lead is choosing. */ ""}
    <form class="report-filters" key=${`${from}|${to}|${by}`} onSubmit=${apply} aria-label=${t("reports.filters")}>
      <label>${t("reports.from")} <input type="date" name="from" defaultValue=${from} required /></label>
      <label>${t("reports.to")} <input type="date" name="to" defaultValue=${to} required /></label>
      ${!own && html`<label>${t("reports.group_by")} <select name="group_by">
        ${DIMENSIONS.map((d) => html`<option value=${d} selected=${d === by}>${t(`reports.by.${d}`)}</option>`)}</select></label>`}
      <button type="submit" class="primary">${t("reports.apply")}</button>
      <button type="button" onClick=${() => download(`/reports/summary?${range}&group_by=${by}&format=csv`, `tessera-${by}-${from}-${to}.csv`)}>
        ${t("reports.csv")}</button>
    </form>
    <p class="hint zone">${t("reports.zone", { zone: (data?.summary.tz || store.zone).replace(/_/g, " ") })}</p>
    <p class="error" role="alert">${error}</p>
    ${!data ? !error && html`<p>${t("reports.loading")}</p>` : html`
      <section aria-labelledby="today-title" class="tiles">
        <h2 id="today-title">${t("reports.today")}</h2>
        <dl>
          <div><dt>${t("reports.backlog")}</dt><dd>${num(count(own ? "mine" : "all"))}</dd>
            <dd class="note">${t(own ? "reports.backlog_mine_hint" : "reports.backlog_hint")}</dd></div>
          ${!own && html`<div><dt>${t("reports.waiting")}</dt><dd>${num(count("pending"))}</dd>
            <dd class="note">${t("reports.waiting_hint")}</dd></div>
          <div class="soon"><dt>${t("reports.breaching")}</dt><dd>${num(count("breaching"))}</dd></div>
          <div class="bad"><dt>${t("reports.breached")}</dt><dd>${num(count("breached"))}</dd></div>`}
          <div><dt>${t("reports.created")}</dt><dd>${num(data.day.totals.created)}</dd>
            <dd class="note">${t("reports.today_hint")}</dd></div>
          <div><dt>${t("reports.solved")}</dt><dd>${num(data.day.totals.solved)}</dd>
            <dd class="note">${t("reports.today_hint")}</dd></div>
        </dl>
      </section>
      <section aria-labelledby="trend-title">
        <h2 id="trend-title">${t("reports.trend")}</h2>
        <${TrendChart} series=${data.summary.series} from=${from} to=${to} />
      </section>
      <section aria-labelledby="rows-title">
        <h2 id="rows-title">${t("reports.rows", { by: t(`reports.by.${by}`) })}</h2>
        ${data.summary.rows.length === 0 ? html`<p>${t("reports.none")}</p>` : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="rows-title"><table class="figures">
          <thead><tr><th scope="col">${t(`reports.by.${by}`)}</th><th scope="col">${t("reports.created")}</th>
            <th scope="col">${t("reports.solved")}</th><th scope="col">${t("reports.reopened")}</th>
            <th scope="col">${t("reports.first_response")}</th><th scope="col">${t("reports.first_response")} · ${t("reports.business")}</th>
            <th scope="col">${t("reports.next_reply")}</th><th scope="col">${t("reports.next_reply")} · ${t("reports.business")}</th>
            <th scope="col">${t("reports.resolution")}</th><th scope="col">${t("reports.fcr")}</th>
            <th scope="col">${t("reports.csat")}</th><th scope="col">${t("reports.sla")}</th></tr></thead>
          <tbody>${data.summary.rows.map((row) => html`<${FiguresRow} row=${row} label=${row.key === "-" ? "—" : row.key} />`)}</tbody>
          ${!own && html`<tfoot><${FiguresRow} row=${data.summary.totals} label=${t("reports.total")} head=${true} /></tfoot>`}
        </table></div>`}
        <p class="hint">${t("reports.bound", { pct: pct(data.summary.error_bound) })}
          ${" "}<button type="button" class="link" onClick=${() => download(
            `/reports/tickets?${range}&metric=created${own ? `&group_by=agent&key=${encodeURIComponent(store.me.email)}` : ""}`,
            `tessera-created-${from}-${to}.csv`)}>${t("reports.tickets_csv")}</button></p>
      </section>
      ${by === "agent" && data.workload.length > 0 && html`<section aria-labelledby="workload-title">
        <h2 id="workload-title">${t("reports.workload")}</h2>
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="workload-title"><table class="workload">
          <thead><tr><th scope="col">${t("reports.by.agent")}</th><th scope="col">${t("reports.open_now")}</th>
            <th scope="col">${t("reports.waiting_now")}</th><th scope="col">${t("reports.capacity")}</th>
            <th scope="col">${t("reports.utilisation")}</th></tr></thead>
          <tbody>${data.workload.map((w) => html`<tr class=${w.assigned >= w.capacity ? "full" : ""}>
            <th scope="row" dir="auto">${w.agent}</th><td>${num(w.open)}${w.at_least ? "+" : ""}</td><td>${num(w.waiting)}</td>
            <td>${num(w.capacity)}</td><td>${pct(w.utilisation)}</td></tr>`)}</tbody>
        </table></div>
        <p class="hint">${t("reports.workload_hint")}</p>
      </section>`}
      ${data.kb && html`<section aria-labelledby="kb-title" class="tiles">
        <h2 id="kb-title">${t("reports.kb")}</h2>
        <dl>
          <div><dt>${t("reports.kb_helpful")}</dt><dd>${num(data.kb.helpful)}</dd></div>
          <div><dt>${t("reports.kb_unhelpful")}</dt><dd>${num(data.kb.unhelpful)}</dd></div>
          <div><dt>${t("reports.kb_deflected")}</dt><dd>${num(data.kb.deflected)}</dd></div>
          <div><dt>${t("reports.kb_searches")}</dt><dd>${num(data.kb.searches)}</dd></div>
          <div><dt>${t("reports.kb_missed")}</dt><dd>${num(data.kb.missed_searches)}</dd></div>
          <div><dt>${t("reports.kb_after_view")}</dt><dd>${num(data.kb.tickets_after_view)}</dd></div>
        </dl>
        ${data.kb.top_missed.length > 0 && html`<details><summary>${t("reports.kb_top_missed")}</summary>
          <table class="kb-missed"><thead><tr><th scope="col">${t("reports.kb_query")}</th>
            <th scope="col">${t("reports.by.language")}</th><th scope="col">${t("reports.kb_count")}</th></tr></thead>
          <tbody>${data.kb.top_missed.map((m) => html`<tr><th scope="row" dir="auto">${m.query}</th>
            <td>${m.language}</td><td>${num(m.count)}</td></tr>`)}</tbody></table></details>`}
        <p class="hint">${t("reports.kb_hint")}</p>
      </section>`}
      <section aria-labelledby="comments-title">
        <h2 id="comments-title">${t("reports.comments")}</h2>
        ${data.comments.length === 0 ? html`<p>${t("reports.no_comments")}</p>` : html`<ul class="comments">
          ${data.comments.map((c) => html`<li><strong>${t("reports.score", { score: num(c.score) })}</strong>
            ${" · "}<a href=${`#/tickets/${c.ticket_id}`}>#${number(c.number)}</a>${c.agent === "-" ? "" : ` · ${c.agent}`}
            <blockquote dir="auto">${c.comment}</blockquote></li>`)}</ul>`}
      </section>`}
  </main>`;
}
