// Agent console: sign in, list tickets (newest first, cursor pagination), open one.
// Everything from the API is written with textContent: nothing is parsed as HTML.
import { apiClient, storedSession } from "../assets/lib/api.js";
import { $, el } from "../assets/lib/dom.js";

const session = storedSession(sessionStorage, "tessera.token");
const client = apiClient({ session, onUnauthorized: signOut });
const state = { cursor: null };

function show(section) {
  for (const id of ["sign-in", "queue", "ticket"]) $(id).hidden = id !== section;
  $("sign-out").hidden = section === "sign-in";
}

async function loadTickets(append = false) {
  const query = new URLSearchParams({ limit: "25" });
  if (append && state.cursor) query.set("cursor", state.cursor);
  const page = await client.request(`/tickets?${query}`);
  if (!append) $("tickets").replaceChildren();
  for (const t of page.items) {
    const cells = [`#${t.number}`, t.subject, t.requester, t.status, t.priority, t.group, t.assignee];
    const row = el("tr", { tabindex: "0" }, ...cells.map((value) => el("td", { text: value ?? "—" })));
    row.dataset.id = t.id;
    row.addEventListener("click", () => openTicket(t.id));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") openTicket(t.id); });
    $("tickets").append(row);
  }
  state.cursor = page.cursor;
  $("more").hidden = !page.cursor;
  show("queue");
}

async function openTicket(id) {
  const t = await client.request(`/tickets/${encodeURIComponent(id)}`);
  $("ticket-title").textContent = `#${t.number} ${t.subject}`;
  $("ticket-meta").textContent =
    `${t.requester} · ${t.status} · ${t.priority} · group ${t.group ?? "—"} · ${t.assignee ?? "unassigned"}`;
  $("thread").replaceChildren(...t.messages.map((m) => el("li", {
    class: m.kind,
    text: `${m.author} (${m.kind}, ${new Date(m.created_at).toLocaleString()}):\n${m.text}`,
  })));
  $("audit").replaceChildren(...t.events.map((e) => el("li", {
    text: `${new Date(e.at).toLocaleString()} ${e.actor} ${e.action}: ${e.reason}`,
  })));
  show("ticket");
  $("back").focus();
}

function signOut() {
  session.clear();
  show("sign-in");
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("sign-in-error").textContent = "";
  const choosing = !$("new-password-label").hidden;
  try {
    // A new account's first sign-in trades the temporary password for the agent's own.
    const { token } = await client.request(choosing ? "/auth/new-password" : "/auth/login", {
      method: "POST",
      auth: false,
      body: {
        email: form.get("email"),
        password: form.get("password"),
        ...(choosing ? { new_password: form.get("new_password") } : {}),
      },
    });
    session.save(token);
    await loadTickets();
  } catch (error) {
    if (error.code === "PasswordChangeRequired") {
      $("new-password-label").hidden = false;
      $("new-password-label").querySelector("input").focus();
    }
    $("sign-in-error").textContent = error.message;
  }
});
$("sign-out").addEventListener("click", signOut);
$("back").addEventListener("click", () => loadTickets());
$("refresh").addEventListener("click", () => loadTickets());
$("more").addEventListener("click", () => loadTickets(true));

if (session.token) loadTickets().catch(signOut); else show("sign-in");
