// Agent console: sign in, list tickets (newest first, cursor pagination), open one.
// Everything from the API is written with textContent: nothing is parsed as HTML.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("tessera.token"), cursor: null };

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(`/api${path}`, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 && state.token) signOut();
  if (!response.ok) {
    const error = new Error(body.error?.message || `HTTP ${response.status}`);
    error.code = body.error?.code;
    throw error;
  }
  return body;
}

function show(section) {
  for (const id of ["sign-in", "queue", "ticket"]) $(id).hidden = id !== section;
  $("sign-out").hidden = section === "sign-in";
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "—";
  row.append(td);
}

async function loadTickets(append = false) {
  const query = new URLSearchParams({ limit: "25" });
  if (append && state.cursor) query.set("cursor", state.cursor);
  const page = await api(`/tickets?${query}`);
  if (!append) $("tickets").replaceChildren();
  for (const t of page.items) {
    const row = document.createElement("tr");
    row.tabIndex = 0;
    row.dataset.id = t.id;
    for (const value of [`#${t.number}`, t.subject, t.requester, t.status, t.priority, t.group, t.assignee]) {
      cell(row, value);
    }
    row.addEventListener("click", () => openTicket(t.id));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") openTicket(t.id); });
    $("tickets").append(row);
  }
  state.cursor = page.cursor;
  $("more").hidden = !page.cursor;
  show("queue");
}

async function openTicket(id) {
  const t = await api(`/tickets/${encodeURIComponent(id)}`);
  $("ticket-title").textContent = `#${t.number} ${t.subject}`;
  $("ticket-meta").textContent =
    `${t.requester} · ${t.status} · ${t.priority} · group ${t.group ?? "—"} · ${t.assignee ?? "unassigned"}`;
  $("thread").replaceChildren(...t.messages.map((m) => {
    const li = document.createElement("li");
    li.className = m.kind;
    li.textContent = `${m.author} (${m.kind}, ${new Date(m.created_at).toLocaleString()}):\n${m.text}`;
    return li;
  }));
  $("audit").replaceChildren(...t.events.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${new Date(e.at).toLocaleString()} ${e.actor} ${e.action}: ${e.reason}`;
    return li;
  }));
  show("ticket");
  $("back").focus();
}

function signOut() {
  state.token = null;
  sessionStorage.removeItem("tessera.token");
  show("sign-in");
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("sign-in-error").textContent = "";
  const choosing = !$("new-password-label").hidden;
  try {
    // A new account's first sign-in trades the temporary password for the agent's own.
    const { token } = await api(choosing ? "/auth/new-password" : "/auth/login", {
      method: "POST",
      body: JSON.stringify({
        email: form.get("email"),
        password: form.get("password"),
        ...(choosing ? { new_password: form.get("new_password") } : {}),
      }),
    });
    state.token = token;
    sessionStorage.setItem("tessera.token", token);
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

if (state.token) loadTickets().catch(signOut); else show("sign-in");
