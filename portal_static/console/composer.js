// The composer under a thread: a public reply (mailed to the requester and CCs) or an internal
// note, files, canned responses and macros (text plus field changes), "send and set status",
// and a draft kept in this browser until it is sent. A reply is sent with If-Match: when the
// ticket moved on since it was loaded, the agent is asked before anything is sent twice.
// Each button says the status it leaves: plain Send leaves the ticket open (answered, nothing
// awaited; a macro's status wins), "Send and set pending" waits on the customer. The API's own
// default for a reply without a status (pending, as a reply by mail) is not the console's.
import { useEffect, useLayoutEffect, useRef, useState } from "../assets/vendor/htm-preact.js";
import { uploadFile } from "../assets/lib/upload.js";
import { api, html, say, size, store, t } from "./core.js";
import { icon } from "./icons.js";
import { actor } from "./trail.js";
import { useKeys } from "./keys.js";

// A draft is the agent's own: kept per agent and ticket in this browser.
const draftKey = (id) => `tessera.draft.${store.me?.email || ""}.${id}`;

function readDraft(id) {
  try { return JSON.parse(localStorage.getItem(draftKey(id))) || {}; } catch { return {}; }
}

export function Composer({ ticket, lastActor, onActivity, onSent }) {
  const saved = readDraft(ticket.id);
  const [mode, setMode] = useState(saved.mode || "reply");
  const [text, setText] = useState(saved.text || "");
  const [files, setFiles] = useState([]);
  const [macro, setMacro] = useState(null); // the field changes of the canned response used
  const [canned, setCanned] = useState([]);
  const [conflict, setConflict] = useState(null); // the send waiting for "send anyway"
  const [sending, setSending] = useState(false);
  const box = useRef(null);

  useEffect(() => { api("/canned-responses").then((a) => setCanned(a.items)).catch(() => setCanned([])); }, []);
  // The draft is stored as the render commits, in the keystroke's own task: a plain effect waits
  // for the next frame, and a reload or a closed tab in that moment lost the last words typed.
  useLayoutEffect(() => {
    if (text) localStorage.setItem(draftKey(ticket.id), JSON.stringify({ mode, text }));
    else localStorage.removeItem(draftKey(ticket.id));
  }, [text, mode]);
  useEffect(() => { onActivity(text ? "replying" : "viewing"); }, [text, mode]);
  // Focus at once (keys typed right after `r` land in the box), and again after the re-render.
  const focus = (which) => { setMode(which); box.current?.focus(); setTimeout(() => box.current?.focus(), 0); };
  useKeys({ r: () => focus("reply"), n: () => focus("note") });

  async function useCanned(event) {
    const id = event.target.value;
    event.target.value = "";
    if (!id) return;
    try {
      const filled = await api(`/tickets/${encodeURIComponent(ticket.id)}/canned-responses/${encodeURIComponent(id)}`);
      setText((before) => (before ? `${before.trimEnd()}\n\n${filled.text}` : filled.text));
      setMacro(filled.set && Object.keys(filled.set).length ? filled.set : null);
      setMode("reply");
      box.current?.focus();
    } catch (error) { say(error.message); }
  }

  async function send(status, anyway = false) {
    if (!text.trim()) { say(t("composer.empty")); box.current?.focus(); return; }
    setSending(true);
    try {
      const id = encodeURIComponent(ticket.id);
      let answer;
      if (mode === "note") {
        answer = await api(`/tickets/${id}/notes`, { method: "POST", body: { text } });
      } else {
        const attachments = [];
        for (const file of files) attachments.push(await uploadFile(api, ticket.id, file));
        const body = { text, ...(attachments.length ? { attachments } : {}), ...(status ? { status } : {}) };
        const headers = { "Idempotency-Key": crypto.randomUUID() };
        if (!anyway) headers["If-Match"] = `"${ticket.version}"`;
        answer = await api(`/tickets/${id}/replies`, { method: "POST", body, headers });
        if (macro) {
          const { tags, ...fields } = macro;
          const changes = { ...fields, ...(tags ? { tags: [...new Set([...answer.tags, ...tags])] } : {}) };
          if (status) delete changes.status;
          if (Object.keys(changes).length) answer = await api(`/tickets/${id}`, { method: "PATCH", body: changes });
        }
      }
      setText("");
      setFiles([]);
      setMacro(null);
      setConflict(null);
      localStorage.removeItem(draftKey(ticket.id));
      say(mode === "note" ? t("composer.noted") : t("composer.sent"));
      onSent(answer);
    } catch (error) {
      if (error.status === 412) {
        // Who moved it on: the latest entry of the ticket's trail as it is now.
        const now = await api(`/tickets/${encodeURIComponent(ticket.id)}`).catch(() => null);
        const latest = now?.events?.[now.events.length - 1];
        setConflict({ status, who: latest ? actor(latest.actor) : lastActor });
      }
      else say(error.message);
    } finally { setSending(false); }
  }

  const reply = mode === "reply";
  return html`<section class=${`composer ${mode}`} aria-labelledby="composer-title">
    <h2 id="composer-title" class="visually-hidden">${t("composer.title")}</h2>
    <div class="tabs" role="tablist">
      <button type="button" role="tab" aria-selected=${reply} onClick=${() => focus("reply")}>${t("composer.reply")} <kbd>r</kbd></button>
      <button type="button" role="tab" aria-selected=${!reply} onClick=${() => focus("note")}>${icon("lock")} ${t("composer.note")} <kbd>n</kbd></button>
    </div>
    <p class="hint">${reply ? t("composer.reply_hint", { to: [ticket.requester, ...(ticket.participants || [])].join(", ") }) : t("composer.note_hint")}</p>
    <label class="visually-hidden" for="composer-text">${reply ? t("composer.reply") : t("composer.note")}</label>
    <textarea id="composer-text" ref=${box} dir="auto" rows="6" value=${text}
      onInput=${(e) => setText(e.target.value)}></textarea>
    ${macro && html`<p class="macro">${t("composer.macro", { changes: Object.entries(macro).map(([k, v]) => `${t(`field.${k}`)}: ${[].concat(v).join(", ")}`).join("; ") })}${" "}
      <button type="button" class="link" onClick=${() => setMacro(null)}>${t("composer.macro_drop")}</button></p>`}
    <div class="composer-tools">
      ${canned.length > 0 && html`<label>${t("composer.canned")}
        <select onChange=${useCanned}><option value="">—</option>
          ${canned.map((c) => html`<option value=${c.id}>${c.title}</option>`)}</select></label>`}
      ${reply && html`<label>${t("composer.files")}
        <input type="file" multiple onChange=${(e) => setFiles([...e.target.files])} /></label>`}
      ${files.length > 0 && html`<span>${files.map((f) => `${f.name} (${size(f.size)})`).join(", ")}</span>`}
    </div>
    ${conflict && html`<div class="conflict" role="alert">
      <p>${t("composer.conflict", { who: conflict.who })}</p>
      <button type="button" onClick=${() => onSent(null)}>${t("ticket.reload")}</button>
      <button type="button" onClick=${() => send(conflict.status, true)}>${t("composer.send_anyway")}</button></div>`}
    <div class="actions">
      ${reply ? html`
        <button type="button" class="primary" disabled=${sending} onClick=${() => send(macro?.status || "open")}>${t("composer.send")}</button>
        <button type="button" disabled=${sending} onClick=${() => send("pending")}>${t("composer.send_pending")}</button>
        <button type="button" disabled=${sending} onClick=${() => send("solved")}>${t("composer.send_solved")}</button>`
      : html`<button type="button" class="primary" disabled=${sending} onClick=${() => send(null)}>${t("composer.add_note")}</button>`}
    </div>
  </section>`;
}
