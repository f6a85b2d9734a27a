// Try before apply: the routing rules being edited (the draft, not yet applied) run against one
// stored ticket (POST /api/admin/rules/test) and replayed over the tickets of the last days
// (POST /api/admin/rules/simulate), listing what would change per ticket. Nothing is written.
import { useState } from "../../assets/vendor/htm-preact.js";
import { api, html, number, say, t } from "../core.js";

const shown = (value) => (value === undefined ? "—" : Array.isArray(value) ? value.join(", ") || "—" : String(value));

function changes(before, after) {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => ({ key, before: shown(before[key]), after: shown(after[key]) }));
}

export function RulesTrial({ draft, invalid }) {
  const [trial, setTrial] = useState(null);
  const [simulation, setSimulation] = useState(null);
  const [busy, setBusy] = useState("");
  const [error, setError] = useState("");

  async function test(event) {
    event.preventDefault();
    const ticket = String(new FormData(event.target).get("ticket")).trim().replace(/^#/, "");
    setBusy("test");
    setError("");
    try {
      setTrial(await api("/admin/rules/test", { method: "POST", body: { text: draft, ticket } }));
    } catch (failure) { setTrial(null); setError(failure.message); } finally { setBusy(""); }
  }
  async function simulate(event) {
    event.preventDefault();
    const days = Number(new FormData(event.target).get("days"));
    setBusy("simulate");
    setError("");
    try {
      setSimulation(await api("/admin/rules/simulate", { method: "POST", body: { text: draft, days } }));
    } catch (failure) { setSimulation(null); setError(failure.message); } finally { setBusy(""); }
  }

  return html`<section class="rules-trial" aria-labelledby="trial-title">
    <h2 id="trial-title">${t("admin.trial.title")}</h2>
    <p class="hint">${t("admin.trial.hint")}</p>
    <div class="trial-forms">
      <form onSubmit=${test} aria-label=${t("admin.trial.test")}>
        <label>${t("admin.trial.ticket")} <input name="ticket" required pattern="#?[0-9A-Za-z]{1,40}" size="10" inputmode="numeric" /></label>
        <button type="submit" disabled=${invalid || busy === "test"}>${t("admin.trial.test")}</button>
      </form>
      <form onSubmit=${simulate} aria-label=${t("admin.trial.simulate")}>
        <label>${t("admin.trial.days")} <input name="days" type="number" min="1" max="90" value="7" required size="4" /></label>
        <button type="submit" disabled=${invalid || busy === "simulate"}>${t("admin.trial.simulate")}</button>
      </form>
    </div>
    <p class="error" role="alert">${error}</p>
    ${trial && html`<div class="trial-result" role="region" aria-label=${t("admin.trial.result", { target: trial.target })}>
      <h3>${t("admin.trial.result", { target: trial.target })}</h3>
      <pre dir="ltr">${trial.lines.join("\n")}</pre>
    </div>`}
    ${simulation && html`<div class="simulation" role="region" aria-label=${t("admin.trial.simulated")}>
      <h3>${t("admin.trial.simulated")}</h3>
      <p>${t("admin.trial.summary", { n: simulation.replayed, moved: simulation.differences.length })}
        ${simulation.capped ? ` ${t("admin.trial.capped", { cap: simulation.cap })}` : ""}</p>
      ${simulation.differences.length > 0 && html`<div class="table-wrap"><table class="moves">
        <thead><tr><th scope="col">${t("admin.trial.ticket_col")}</th><th scope="col">${t("admin.trial.change")}</th></tr></thead>
        <tbody>${simulation.differences.map((d) => html`<tr data-ticket=${d.id}>
          <td><a href=${`#/tickets/${d.id}`}>#${number(d.number)}</a> <span dir="auto">${d.subject}</span></td>
          <td><ul class="changes">${changes(d.before, d.after).map((c) => html`<li>
            <code>${c.key}</code>: <del dir="auto">${c.before}</del> → <ins dir="auto">${c.after}</ins></li>`)}</ul></td>
        </tr>`)}</tbody></table></div>`}
    </div>`}
  </section>`;
}
