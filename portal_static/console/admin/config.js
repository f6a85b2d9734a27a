// Configuration documents (#/admin/config/<kind>): the YAML of the applied version in an editor
// with line numbers, checked as it is typed (the validator's problem shown at its line and key),
// the changes against the applied version, apply with If-Match (a concurrent apply is shown, the
// draft kept), and the history with who and when and a revert to any earlier version. The
// documents are the ones `tessera config` applies and shows, so they can still be kept as code.
import { useEffect, useRef, useState } from "../../assets/vendor/htm-preact.js";
import { api, html, number, say, t, when } from "../core.js";

// Who applied a version: an agent's name, "admin:<email>" as the email, "local-stack" as is.
import { actorName } from "./common.js";
import { Confirm } from "./confirm.js";
import { diffLines, hunks } from "./diff.js";
import { RulesTrial } from "./rules-try.js";

export const KINDS = ["rules", "sla", "mailboxes", "mail-filters", "groups", "canned", "fields"];
const CHECK_AFTER_MS = 500;
const LINE_PX = 20; // console.css .code-editor line-height
const PAD_PX = 8;

// The validator's words without what the page already shows (the key and the line).
const refusal = (error) => ({
  line: error.line,
  field: error.field,
  message: error.message.replace(`${error.field}: `, "").replace(/^(line \d+|document): /, ""),
});

export function Diff({ before, after, label }) {
  const shown = hunks(diffLines(before, after));
  if (!shown.length) return html`<p class="empty">${t("admin.config.no_changes")}</p>`;
  return html`<pre class="diff" aria-label=${label} tabindex="0">${shown.map((line) => line.op === "…"
    ? html`<span class="gap">…</span>`
    : line.op === "+" ? html`<ins>+ ${line.text}</ins>`
    : line.op === "-" ? html`<del>- ${line.text}</del>`
    : html`<span>  ${line.text}</span>`)}</pre>`;
}

function Editor({ value, onInput, problem, label }) {
  const area = useRef(null);
  const gutter = useRef(null);
  const [scroll, setScroll] = useState(0);
  const count = value.split("\n").length;
  function synced(event) {
    setScroll(event.target.scrollTop);
    if (gutter.current) gutter.current.scrollTop = event.target.scrollTop;
  }
  const line = problem?.line;
  return html`<div class="code-editor">
    <div class="gutter" ref=${gutter} aria-hidden="true">${Array.from({ length: count }, (_, i) => html`
      <span class=${i + 1 === line ? "bad" : ""}>${i + 1}</span>`)}</div>
    ${line && html`<div class="bad-line" data-line=${line} aria-hidden="true"
      style=${`top: ${PAD_PX + (line - 1) * LINE_PX - scroll}px`}></div>`}
    <textarea id="config-text" ref=${area} value=${value} aria-label=${label} spellcheck="false" wrap="off"
      autocomplete="off" dir="ltr" rows="22" aria-invalid=${problem ? "true" : "false"}
      aria-describedby="config-problem" onInput=${(e) => onInput(e.target.value)} onScroll=${synced}></textarea>
  </div>`;
}

// The caret to the start of line `n` of the textarea, scrolled into view.
function goToLine(n) {
  const area = document.getElementById("config-text");
  if (!area) return;
  const lines = area.value.split("\n");
  const at = lines.slice(0, n - 1).reduce((sum, l) => sum + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(at, at + (lines[n - 1] || "").length);
  area.scrollTop = Math.max(0, (n - 3) * LINE_PX);
}

export function ConfigDocuments({ kind }) {
  const [applied, setApplied] = useState(null);
  const [text, setText] = useState("");
  const [problem, setProblem] = useState(null);
  const [checking, setChecking] = useState(false);
  const [newer, setNewer] = useState(null);
  const [history, setHistory] = useState([]);
  const [compare, setCompare] = useState(null);
  const [reverting, setReverting] = useState(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef(0);
  const latest = useRef("");

  async function load() {
    const [doc, past] = await Promise.all([
      api(`/admin/config/${kind}`), api(`/admin/config/${kind}/history?limit=20`),
    ]);
    setApplied(doc);
    setHistory(past.items);
    return doc;
  }
  useEffect(() => {
    load().then((doc) => { setText(doc.text); latest.current = doc.text; }).catch((e) => say(e.message));
    return () => clearTimeout(timer.current);
  }, [kind]);

  async function check(draft) {
    setChecking(true);
    try {
      await api(`/admin/config/${kind}/validate`, { method: "POST", body: { text: draft } });
      if (latest.current === draft) setProblem(null);
    } catch (error) {
      if (latest.current !== draft) return;
      if (error.status === 400) setProblem(refusal(error));
      else say(error.message);
    } finally { setChecking(false); }
  }
  function edit(draft) {
    setText(draft);
    latest.current = draft;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => check(draft), CHECK_AFTER_MS);
  }

  async function apply() {
    setBusy(true);
    try {
      const doc = await api(`/admin/config/${kind}`, {
        method: "PUT", body: { text }, headers: { "If-Match": `"${applied.version}"` },
      });
      setNewer(null);
      await load();
      setText(doc.text);
      say(t("admin.config.applied", { version: doc.version }));
    } catch (error) {
      if (error.status === 412) {
        const current = await load();
        setNewer(current); // the draft stays; the diff is now against what they applied
      } else if (error.status === 400) {
        setProblem(refusal(error));
      } else say(error.message);
    } finally { setBusy(false); }
  }

  async function revert(version) {
    setReverting(null);
    setBusy(true);
    try {
      const doc = await api(`/admin/config/${kind}/revert`, {
        method: "POST", body: { version }, headers: { "If-Match": `"${applied.version}"` },
      });
      await load();
      setText(doc.text);
      latest.current = doc.text;
      setProblem(null);
      setCompare(null);
      say(t("admin.config.reverted", { from: version, version: doc.version }));
    } catch (error) {
      if (error.status === 412) setNewer(await load());
      else say(error.message);
    } finally { setBusy(false); }
  }

  if (!applied) return html`<p>…</p>`;
  const changed = text !== applied.text;
  const compared = compare && history.find((v) => v.version === compare);
  return html`<section class="config" aria-labelledby="config-title">
    <h1 id="config-title">${t("admin.config.title")}</h1>
    <nav class="kinds" aria-label=${t("admin.config.kinds")}><ul>${KINDS.map((k) => html`<li>
      <a href=${`#/admin/config/${k}`} aria-current=${k === kind ? "page" : null}>${t(`admin.kind.${k}`)}</a></li>`)}</ul></nav>
    <p class="applied">${applied.version
      ? t("admin.config.at_version", { version: applied.version, who: actorName(applied.applied_by), when: when(applied.applied_at) })
      : t("admin.config.never")}</p>
    ${newer && html`<div class="conflict" role="alert">
      <p>${t("admin.config.newer", { version: newer.version, who: actorName(newer.applied_by) })}</p>
      <button type="button" onClick=${() => { setText(newer.text); latest.current = newer.text; setNewer(null); setProblem(null); }}>${t("admin.config.take_theirs")}</button>
      <button type="button" onClick=${() => setNewer(null)}>${t("admin.config.keep_mine")}</button>
    </div>`}
    <${Editor} value=${text} onInput=${edit} problem=${problem} label=${t("admin.config.editor", { kind: t(`admin.kind.${kind}`) })} />
    <div id="config-problem" class=${problem ? "problem" : "valid"} role="status">
      ${problem
        ? html`<span>${problem.line ? t("admin.config.problem_at", { line: problem.line, key: problem.field }) : problem.field}</span>
          <span class="why" dir="ltr">${problem.message}</span>
          ${problem.line && html`<button type="button" class="link" onClick=${() => goToLine(problem.line)}>${t("admin.config.go_to_line", { line: problem.line })}</button>`}`
        : checking ? t("admin.config.checking") : changed ? t("admin.config.valid") : ""}
    </div>
    <div class="actions">
      <button type="button" class="primary" disabled=${busy || !changed || !!problem} onClick=${apply}>${t("admin.config.apply")}</button>
      <button type="button" disabled=${!changed} onClick=${() => { setText(applied.text); latest.current = applied.text; setProblem(null); }}>${t("admin.config.discard_draft")}</button>
    </div>
    <h2>${t("admin.config.changes", { version: applied.version })}</h2>
    <${Diff} before=${applied.text} after=${text} label=${t("admin.config.changes", { version: applied.version })} />
    ${kind === "rules" && html`<${RulesTrial} draft=${text} invalid=${!!problem} />`}
    <h2>${t("admin.config.history")}</h2>
    ${history.length === 0 ? html`<p class="empty">${t("admin.config.no_history")}</p>` : html`<div class="table-wrap"><table class="history">
      <thead><tr><th scope="col">${t("admin.config.version")}</th><th scope="col">${t("admin.config.by")}</th>
        <th scope="col">${t("admin.config.when")}</th><th scope="col"><span class="visually-hidden">${t("admin.actions")}</span></th></tr></thead>
      <tbody>${history.map((v) => html`<tr data-version=${v.version}>
        <td>${number(v.version)}${v.version === applied.version ? html` <span class="badge">${t("admin.config.current")}</span>` : ""}</td>
        <td>${actorName(v.applied_by)}</td><td>${when(v.applied_at)}</td>
        <td>${v.version !== applied.version && html`
          <button type="button" onClick=${() => setCompare(compare === v.version ? null : v.version)} aria-expanded=${compare === v.version ? "true" : "false"}>${t("admin.config.compare", { version: v.version })}</button>
          <button type="button" class="danger" disabled=${busy} onClick=${() => setReverting(v.version)}>${t("admin.config.revert", { version: v.version })}</button>`}</td>
      </tr>`)}</tbody></table></div>`}
    ${compared && html`<h3>${t("admin.config.compare_title", { version: compared.version, current: applied.version })}</h3>
      <${Diff} before=${applied.text} after=${compared.text} label=${t("admin.config.compare_title", { version: compared.version, current: applied.version })} />`}
    ${reverting && html`<${Confirm} title=${t("admin.config.revert_title", { version: reverting })}
      text=${t("admin.config.revert_text", { version: reverting, next: applied.version + 1 })}
      action=${t("admin.config.revert", { version: reverting })}
      onConfirm=${() => revert(reverting)} onCancel=${() => setReverting(null)} />`}
  </section>`;
}
