// A ticket opened by an agent for a customer who called, walked in or wrote somewhere else:
// the requester's address, what they asked, the channel, and whether to mail them the usual
// acknowledgement.
import { useState } from "../assets/vendor/htm-preact.js";
import { PRIORITIES, api, backToQueue, go, html, number, say, t } from "./core.js";

export function NewTicket() {
  const [error, setError] = useState("");
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    setError("");
    try {
      const ticket = await api("/tickets", {
        method: "POST",
        headers: { "Idempotency-Key": crypto.randomUUID() },
        body: {
          requester: form.get("requester"),
          subject: form.get("subject"),
          body: form.get("body"),
          channel: form.get("channel"),
          priority: form.get("priority"),
          notify: form.get("notify") === "on",
        },
      });
      say(t("new.created", { number: number(ticket.number) }));
      go(`#/tickets/${ticket.id}`);
    } catch (failure) { setError(failure.message); }
  }
  return html`<main id="main" class="new-ticket">
    <p><a href=${backToQueue()} class="back">← ${t("ticket.back")}</a></p>
    <h1>${t("new.title")}</h1>
    <p class="lead">${t("new.lead")}</p>
    <form onSubmit=${submit}>
      <label>${t("new.requester")} <input name="requester" type="email" required autocomplete="off" /></label>
      <fieldset><legend>${t("new.channel")}</legend>
        ${["phone", "other"].map((c, i) => html`<label class="inline"><input type="radio" name="channel" value=${c} checked=${i === 0} /> ${t(`channel.${c}`)}</label>`)}
      </fieldset>
      <label>${t("new.subject")} <input name="subject" required maxlength="300" dir="auto" /></label>
      <label>${t("new.body")} <textarea name="body" rows="6" required dir="auto"></textarea></label>
      <label>${t("field.priority")} <select name="priority" value="normal">
        ${PRIORITIES.map((p) => html`<option value=${p}>${t(`priority.${p}`)}</option>`)}</select></label>
      <label class="inline"><input type="checkbox" name="notify" /> ${t("new.notify")}</label>
      <p class="error" role="alert">${error}</p>
      <button type="submit" class="primary">${t("new.submit")}</button>
    </form>
  </main>`;
}
