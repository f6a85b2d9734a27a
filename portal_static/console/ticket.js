// One ticket as an agent works it: the thread (public replies, internal notes and system
// messages told apart; mail HTML in a sandboxed frame), the composer, properties, the
// requester's other tickets, the SLA targets, merge, the audit trail in words, and who else
// is here (presence, refreshed by polling; a warning when the ticket moved on).
import { SANDBOX, fitToContent, messageDocument } from "../assets/lib/frame.js";
import { useEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import {
  OPEN_STATUSES, PRIORITIES, STATUSES, agentName, api, backToQueue, duration, go, html, number, relative,
  say, size, store, t, useStore, when, withCurrent, fieldLabel,
} from "./core.js";
import { Composer } from "./composer.js";
import { icon } from "./icons.js";
import { actor, eventWords } from "./trail.js";
import { useKeys } from "./keys.js";

const PRESENCE_MS = 10000;

// A message's sanitized HTML, in a frame that can run nothing, as the portal shows it
// (assets/lib/frame.js).
function MessageFrame({ markup }) {
  const frame = useRef(null);
  const doc = messageDocument(markup, "auto",
    "body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#102a43;overflow-wrap:anywhere}");
  return html`<iframe ref=${frame} class="message-html" title=${t("thread.html")} srcdoc=${doc}
    sandbox=${SANDBOX} referrerpolicy="no-referrer" onLoad=${() => fitToContent(frame.current)} />`;
}

async function download(ticketId, file) {
  try {
    const link = await api(`/tickets/${encodeURIComponent(ticketId)}/attachments/${encodeURIComponent(file.id)}`);
    location.assign(link.url); // served with Content-Disposition: attachment
  } catch (error) { say(error.message); }
}

// A name to call a requester whose mail gave none (or came before names were kept):
// dana.smith@ -> Dana Smith, as tessera.tickets.model.display_name guesses.
const guessedName = (email) =>
  email.split("@")[0].split(/[._-]+/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join(" ") || email;

function Message({ ticket, message }) {
  const from = { agent: "reply", requester: "customer" }[message.from] || message.from || "customer";
  // Held mail (a sender not on the ticket) is internal but no agent's note: labelled as held.
  const kind = from === "outsider" ? "outsider" : message.kind === "internal" ? "note" : from;
  const symbol = { note: "lock", reply: "reply", system: "gear" }[kind] || "mail";
  const agent = message.from === "agent";
  // A mail's sender by the name their From gave (untrusted text, shown as text), and their
  // address beside it: the name alone could be anyone's.
  const who = agent ? message.author_name || agentName(message.author) : message.author_name || message.author;
  const address = !agent && message.author_name && message.author.includes("@") ? message.author : null;
  return html`<li class=${`message ${kind}`} data-kind=${message.kind}>
    <p class="meta"><span class="label">${icon(symbol)} ${t(`thread.${kind}`)}</span>
      <strong dir="auto">${who}</strong>${address && html` <span class="address" dir="ltr">${address}</span>`} <time datetime=${message.created_at}>${when(message.created_at)}</time></p>
    ${message.html ? html`<${MessageFrame} markup=${message.html} />` : html`<div class="text" dir="auto">${message.text}</div>`}
    ${message.attachments.length > 0 && html`<ul class="files" aria-label=${t("thread.files")}>
      ${message.attachments.map((file) => html`<li><button type="button" class="link" onClick=${() => download(ticket.id, file)}>
        ${icon("clip")} ${file.filename} <span class="size">(${size(file.size)})</span></button></li>`)}</ul>`}
  </li>`;
}

function Audit({ events }) {
  return html`<details class="audit panel">
    <summary>${t("audit.title", { n: events.length })}</summary>
    <ol>${[...events].reverse().map((e) => html`<li>
      <time datetime=${e.at}>${when(e.at)}</time> <span dir="auto">${eventWords(e)}</span></li>`)}</ol>
  </details>`;
}

function SlaPanel({ targets }) {
  return html`<section class="panel sla-panel" aria-labelledby="sla-title">
    <h2 id="sla-title">${t("sla.title")}</h2>
    ${targets.length === 0 ? html`<p>${t("sla.none")}</p>` : html`<ul>${targets.map((s) => {
      let state;
      if (s.breached) state = html`<strong class="breached">${t("sla.breached_by", { time: duration(Math.max(1, s.used_minutes - s.goal_minutes)) })}</strong>`;
      else if (s.paused) state = html`<strong class="paused">${t("sla.paused")}</strong>`;
      else state = html`<span class=${new Date(s.due_at) - Date.now() < 3600000 ? "soon" : ""}>
        ${t("sla.due", { at: when(s.due_at), in: relative(s.due_at) })}</span>`;
      return html`<li data-target=${s.target} data-paused=${s.paused ? "true" : "false"}>
        <span class="target">${t(`sla.target.${s.target}`)}</span> ${state}
        <small>${t("sla.policy", { policy: s.policy || "—", calendar: s.calendar, used: duration(s.used_minutes), goal: duration(s.goal_minutes) })}</small>
      </li>`;
    })}</ul>`}
  </section>`;
}

function Requester({ ticket }) {
  const [others, setOthers] = useState(null);
  useEffect(() => {
    api(`/tickets/${encodeURIComponent(ticket.id)}/related?limit=20`).then((page) => {
      const open = (x) => (OPEN_STATUSES.has(x.status) ? 0 : 1);
      setOthers([...page.items].sort((a, b) => open(a) - open(b)));
    }).catch(() => setOthers([]));
  }, [ticket.id]);
  const vip = [...ticket.tags].some((tag) => tag.toLowerCase() === "vip");
  const plan = ticket.custom_fields?.plan;
  return html`<section class="panel requester" aria-labelledby="requester-title">
    <h2 id="requester-title">${t("requester.title")}</h2>
    <p><strong dir="auto">${ticket.requester_name || guessedName(ticket.requester)}</strong>
      ${vip && html` <span class="badge vip">VIP</span>`}${plan && html` <span class="badge">${plan}</span>`}<br />
      <a href=${`mailto:${ticket.requester}`}>${ticket.requester}</a></p>
    ${ticket.participants?.length > 0 && html`<p><small>${t("requester.cc", { list: ticket.participants.join(", ") })}</small></p>`}
    <h3>${t("requester.others")}</h3>
    ${others === null ? html`<p>…</p>` : others.length === 0 ? html`<p>${t("requester.no_others")}</p>` :
      html`<ul class="others">${others.map((o) => html`<li>
        <a href=${`#/tickets/${o.id}`}>#${number(o.number)} <span dir="auto">${o.subject}</span></a>
        <span class=${`badge status-${o.status}`}>${t(`status.${o.status}`)}</span></li>`)}</ul>`}
  </section>`;
}

function Properties({ ticket, onSaved, conflict }) {
  const { groups, agents, fields } = store.workspace;
  const me = store.me?.email;
  const form = useRef(null);
  async function save(changes) {
    try {
      const saved = await api(`/tickets/${encodeURIComponent(ticket.id)}`, {
        method: "PATCH", body: changes, headers: { "If-Match": `"${ticket.version}"` },
      });
      say(t("props.saved"));
      onSaved(saved);
    } catch (error) {
      if (error.status === 412) conflict();
      else say(error.message);
    }
  }
  function submit(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const changes = {};
    for (const name of ["status", "priority", "group", "assignee"]) {
      const value = data.get(name) || null;
      if (value !== (ticket[name] || null)) changes[name] = value;
    }
    const tags = String(data.get("tags") || "").split(",").map((x) => x.trim()).filter(Boolean);
    if (tags.sort().join(",") !== [...ticket.tags].sort().join(",")) changes.tags = tags;
    const custom = {};
    for (const f of fields) {
      const value = String(data.get(`field-${f.key}`) || "");
      if (value !== (ticket.custom_fields?.[f.key] || "") && value !== "") custom[f.key] = value;
    }
    if (Object.keys(custom).length) changes.custom_fields = { ...ticket.custom_fields, ...custom };
    if (!Object.keys(changes).length) return say(t("props.unchanged"));
    save(changes);
  }
  const take = () => save({ assignee: me });
  useKeys({
    a: () => { if (ticket.assignee !== me) take(); },
    s: () => form.current?.querySelector("[name=status]")?.focus(),
  });
  const select = (name, options, label, blank) => html`<label>${t(`field.${name}`)}
    <select name=${name} value=${ticket[name] || ""}>
      ${blank && html`<option value="">${blank}</option>`}
      ${options.map((o) => html`<option value=${o}>${label(o)}</option>`)}</select></label>`;
  return html`<form ref=${form} class="panel properties" onSubmit=${submit} aria-labelledby="props-title">
    <h2 id="props-title">${t("props.title")}</h2>
    ${ticket.assignee !== me && html`<button type="button" class="take primary" onClick=${take}>
      ${t("props.take")} <kbd>a</kbd></button>`}
    ${select("status", STATUSES, (s) => t(`status.${s}`))}
    ${select("priority", PRIORITIES, (p) => t(`priority.${p}`))}
    ${select("group", groups.map((g) => g.name), (g) => g, t("ticket.no_group"))}
    ${select("assignee", withCurrent(agents.map((a) => a.email), ticket.assignee), agentName, t("ticket.unassigned"))}
    <label>${t("field.tags")} <input name="tags" dir="auto" value=${[...ticket.tags].join(", ")} /></label>
    ${fields.map((f) => html`<label>${fieldLabel(f)}
      ${f.type === "choice"
        ? html`<select name=${`field-${f.key}`} value=${ticket.custom_fields?.[f.key] || ""}>
            <option value="">—</option>${f.choices.map((c) => html`<option value=${c}>${c}</option>`)}</select>`
        : html`<input name=${`field-${f.key}`} maxlength=${f.max_length} dir="auto"
            type=${f.type === "number" ? "number" : "text"} value=${ticket.custom_fields?.[f.key] || ""} />`}</label>`)}
    <button type="submit">${t("props.save")}</button>
  </form>`;
}

function Merge({ ticket }) {
  async function merge(event) {
    event.preventDefault();
    const into = String(new FormData(event.target).get("into")).trim().replace(/^#/, "");
    if (!into || !confirm(t("merge.confirm", { number: number(ticket.number), into }))) return;
    try {
      const answer = await api(`/tickets/${encodeURIComponent(ticket.id)}/merge`, { method: "POST", body: { into } });
      say(t("merge.done", { number: number(ticket.number), into: number(answer.into.number) }));
      go(`#/tickets/${answer.into.id}`);
    } catch (error) { say(error.message); }
  }
  return html`<details class="panel merge"><summary>${t("merge.title")}</summary>
    <form onSubmit=${merge}><label>${t("merge.into")} <input name="into" inputmode="numeric" required size="8" /></label>
      <button type="submit">${t("merge.submit")}</button></form></details>`;
}

function Presence({ others }) {
  if (!others.length) return null;
  return html`<p class="presence" aria-live="polite">${others.map((o) => html`<span class=${`who ${o.activity}`}>
    ${t(`presence.${o.activity}`, { name: o.name || agentName(o.agent) })}</span>`)}</p>`;
}

export function TicketPage({ id }) {
  useStore();
  const [ticket, setTicket] = useState(null);
  const [error, setError] = useState("");
  const [others, setOthers] = useState([]);
  const [moved, setMoved] = useState(false);
  const activity = useRef("viewing");

  async function load() {
    try {
      const loaded = await api(`/tickets/${encodeURIComponent(id)}`);
      setTicket(loaded);
      setMoved(false);
      document.title = `#${number(loaded.number)} ${loaded.subject} · Tessera`;
    } catch (failure) { setError(failure.message); }
  }
  useEffect(() => { load(); }, [id]);
  // Presence: say I am here (viewing, or replying while the composer holds text) and learn
  // who else is, and whether the ticket moved on since it was loaded.
  useEffect(() => {
    if (!ticket) return undefined;
    const path = `/tickets/${encodeURIComponent(ticket.id)}/presence`;
    let stopped = false;
    async function beat() {
      try {
        const answer = await api(path, { method: "PUT", body: { activity: activity.current } });
        if (stopped) return;
        setOthers(answer.others);
        if (answer.version > ticket.version) setMoved(true);
      } catch { /* the next beat tries again */ }
    }
    beat();
    const timer = setInterval(beat, PRESENCE_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      api(path, { method: "DELETE" }).catch(() => {});
    };
  }, [ticket?.id, ticket?.version]);
  useKeys({ u: () => go(backToQueue()) });

  if (error) return html`<main id="main" class="ticket-page"><p class="error" role="alert">${error}</p>
    <a href=${backToQueue()}>${t("ticket.back")}</a></main>`;
  if (!ticket) return html`<main id="main" class="ticket-page" aria-busy="true"><p>…</p></main>`;
  const last = ticket.events[ticket.events.length - 1];
  return html`<div class="ticket-layout">
    <main id="main" class="ticket-page">
      <p><a href=${backToQueue()} class="back">← ${t("ticket.back")}</a></p>
      <h1><span class="number">#${number(ticket.number)}</span> <span dir="auto">${ticket.subject}</span></h1>
      <p class="summary">
        <span class=${`badge status-${ticket.status}`}>${t(`status.${ticket.status}`)}</span>
        <span class=${`badge priority-${ticket.priority}`}>${t(`priority.${ticket.priority}`)}</span>
        ${t("ticket.via", { channel: t(`channel.${ticket.channel}`) })} · ${ticket.group || t("ticket.no_group")} ·
        ${ticket.assignee ? agentName(ticket.assignee) : t("ticket.unassigned")}</p>
      <${Presence} others=${others} />
      ${moved && html`<p class="moved" role="alert">${t("ticket.moved")}
        <button type="button" onClick=${load}>${t("ticket.reload")}</button></p>`}
      <ol class="thread">${ticket.messages.map((m) => html`<${Message} key=${m.id} ticket=${ticket} message=${m} />`)}</ol>
      ${ticket.status === "closed"
        ? html`<p class="closed-note">${t("ticket.closed")}</p>`
        : html`<${Composer} ticket=${ticket} lastActor=${last ? actor(last.actor) : ""}
            onActivity=${(what) => { activity.current = what; }}
            onSent=${() => load()} />`}
      <${Audit} events=${ticket.events} />
    </main>
    <aside class="side" aria-label=${t("ticket.side")}>
      <${Properties} ticket=${ticket} onSaved=${() => load()} conflict=${() => setMoved(true)} />
      <${SlaPanel} targets=${ticket.sla_targets || []} />
      <${Requester} ticket=${ticket} />
      ${ticket.status !== "closed" && html`<${Merge} ticket=${ticket} />`}
    </aside>
  </div>`;
}
