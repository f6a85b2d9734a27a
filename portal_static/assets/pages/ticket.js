// One of the customer's tickets: the public thread, reply with files, solve or reopen, rate.
import { $, busy, el } from "../lib/dom.js";
import { SANDBOX, fitToContent, messageDocument } from "../lib/frame.js";
import {
  api, config, formatBytes, formatDate, formatNumber, requireSignIn, rerender, run, session,
  showError, state, t,
} from "../portal/core.js";
import { checkFiles, showLimits, upload } from "../portal/files.js";

// A message's sanitized HTML, in a frame that can run nothing (lib/frame.js).
function messageFrame(html, direction) {
  const frame = el("iframe", { title: t("ticket.thread") });
  frame.setAttribute("sandbox", SANDBOX);
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.srcdoc = messageDocument(html, direction,
    "body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#111827;overflow-wrap:anywhere}");
  frame.addEventListener("load", () => fitToContent(frame));
  return frame;
}

// A confirmation at the top of the page, where it is seen on a phone too.
function say(text) {
  $("ticket-status-msg").textContent = text;
  $("ticket-status-msg").hidden = !text;
}

run(async () => {
  if (!session.token) return requireSignIn();
  const created = sessionStorage.getItem("tessera.created");
  if (created) {
    sessionStorage.removeItem("tessera.created");
    say(t("new.created", { number: formatNumber(Number(created)) }));
  }
  const id = new URLSearchParams(location.search).get("id") || "";
  let ticket = null;
  // The fields document's labels (GET /api/ticket-form, public): a custom field the portal's
  // own portal.json does not list is named by them, never by its key ("contract_id").
  let documentLabels = {};
  api("/ticket-form", { auth: false }).then((answer) => {
    documentLabels = Object.fromEntries(answer.custom_fields.map((f) => [f.key, f.labels]));
    if (ticket) drawDetails();
  }).catch(() => {});
  async function load() {
    try {
      ticket = await api(`/tickets/${encodeURIComponent(id)}`);
    } catch (error) { showError($("page-error"), error); return; }
    draw();
  }
  function fileList(message) {
    return el("ul", { class: "files", "aria-label": t("ticket.attachments") }, ...message.attachments.map((file) => {
      const button = el("button", { type: "button", text: `${file.filename} (${formatBytes(file.size)})` });
      button.addEventListener("click", async () => {
        try {
          const link = await api(`/tickets/${encodeURIComponent(ticket.id)}/attachments/${encodeURIComponent(file.id)}`);
          location.assign(link.url); // served with Content-Disposition: attachment
        } catch (error) { showError($("page-error"), error); }
      });
      return el("li", {}, button);
    }));
  }
  function draw() {
    if (!ticket) return;
    $("ticket").hidden = false;
    const number = formatNumber(ticket.number);
    $("ticket-number").textContent = `#${number}`;
    $("ticket-subject").textContent = ticket.subject; // <bdi>: its own direction, the page's alignment
    document.title = `#${number} ${ticket.subject} · ${config.name}`;
    $("ticket-status").textContent = t(`status.${ticket.status}`);
    $("ticket-opened").textContent = t("ticket.opened", { date: formatDate(ticket.created_at) });
    drawDetails();
    $("thread").replaceChildren(...ticket.messages.map((message) => {
      // Labelled by who wrote it (the API says), never by "not the requester": a participant is
      // named by their address, and only agents are "Support".
      const mine = message.from === "requester";
      const who = {
        system: t("ticket.automatic"),
        requester: t("ticket.you"),
        participant: message.author,
        agent: message.author_name ? `${t("ticket.support")} · ${message.author_name}` : t("ticket.support"),
      }[message.from] || t("ticket.support");
      const item = el("li", { class: `message ${message.kind}${mine ? " mine" : ""}` },
        el("header", {}, el("span", { class: "author", text: who }), el("time", { datetime: message.created_at, text: formatDate(message.created_at) })));
      if (message.html) item.append(messageFrame(message.html, "auto"));
      else item.append(el("div", { class: "text", dir: "auto", text: message.text }));
      if (message.attachments && message.attachments.length) item.append(fileList(message));
      return item;
    }));
    const closed = ticket.status === "closed";
    const solved = ticket.status === "solved";
    $("reply-form").hidden = closed;
    $("closed-note").hidden = !closed;
    $("solve").hidden = solved || closed;
    $("reopen").hidden = !solved;
    $("rating-form").hidden = !(solved || closed);
    showLimits($("reply-limits"));
    drawStars();
  }
  // The custom fields the customer filled in (the API sends those customers may see).
  function drawDetails() {
    const own = Object.fromEntries(config.custom_fields.map((f) => [f.key, f.labels]));
    const labelOf = (key) => {
      if (key === "product") return t("new.product");
      const labels = own[key] || documentLabels[key] || {};
      return labels[state.lang] || labels.en || Object.values(labels)[0] || key;
    };
    const entries = Object.entries(ticket.custom_fields || {});
    $("ticket-details").hidden = !entries.length;
    $("ticket-details").replaceChildren(...entries.flatMap(([key, value]) => [
      el("dt", { text: labelOf(key) }), el("dd", { text: value, dir: "auto" }),
    ]));
  }
  // Five stars: radio buttons (arrow keys move, space chooses), each named "3 stars".
  function drawStars() {
    const chosen = document.querySelector('input[name="score"]:checked')?.value;
    $("stars").replaceChildren(...[1, 2, 3, 4, 5].map((n) => {
      const input = el("input", { type: "radio", name: "score", value: String(n), required: true });
      if (String(n) === chosen) input.checked = true;
      return el("label", { class: "star" }, input,
        el("span", { class: "star-icon", "aria-hidden": "true", text: "★" }),
        el("span", { class: "visually-hidden", text: t("ticket.stars", { n }) }));
    }));
  }
  async function change(status, button) {
    try {
      await busy(button, () => api(`/tickets/${encodeURIComponent(ticket.id)}`, { method: "PATCH", body: { status } }));
      await load();
      say(t(`status.${ticket.status}`));
    } catch (error) { showError($("page-error"), error); }
  }
  // Solving asks once: the customer will not be waited for any more.
  $("solve").addEventListener("click", () => {
    $("solve-confirm").hidden = false;
    $("solve-yes").focus();
  });
  $("solve-no").addEventListener("click", () => {
    $("solve-confirm").hidden = true;
    $("solve").focus();
  });
  $("solve-yes").addEventListener("click", async (e) => {
    await change("solved", e.currentTarget);
    $("solve-confirm").hidden = true;
  });
  $("reopen").addEventListener("click", (e) => change("open", e.currentTarget));
  $("reply-files").addEventListener("change", () => checkFiles($("reply-files"), $("reply-files-error")));
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!checkFiles($("reply-files"), $("reply-files-error"))) return;
    const button = event.target.querySelector('button[type="submit"]');
    try {
      await busy(button, async () => {
        const ids = [];
        for (const file of $("reply-files").files) ids.push(await upload(ticket.id, file));
        const payload = { text: $("reply-text").value };
        if (ids.length) payload.attachments = ids;
        await api(`/tickets/${encodeURIComponent(ticket.id)}/replies`, { method: "POST", body: payload });
      });
      $("reply-text").value = "";
      $("reply-files").value = "";
      await load();
      say(t("ticket.sent"));
    } catch (error) { showError($("page-error"), error); }
  });
  $("rating-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const score = Number(new FormData(event.target).get("score"));
    const button = event.target.querySelector('button[type="submit"]');
    try {
      await busy(button, () => api(`/tickets/${encodeURIComponent(ticket.id)}/rating`, {
        method: "POST", body: { score, comment: $("rating-comment").value },
      }));
      event.target.hidden = true;
      say(t("ticket.rated"));
    } catch (error) { showError($("page-error"), error); }
  });
  rerender.push(draw);
  await load();
});
