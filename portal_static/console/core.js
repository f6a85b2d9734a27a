// What every part of the console shares: the agent's session and the API client, words in the
// agent's language, times in the agent's time zone, the workspace (groups, agents, fields) and a
// small store that components subscribe to. Everything from the API is rendered by Preact as
// text; the only HTML from a ticket is a message's sanitized HTML, in a sandboxed frame.
import { ApiError, apiClient, storedSession } from "../assets/lib/api.js";
import { RTL, bytes, ticketNumber, translate } from "../assets/lib/words.js";
import { useEffect, useState } from "../assets/vendor/htm-preact.js";
import STRINGS from "./strings.js";

export { html } from "../assets/vendor/htm-preact.js";

export const LANGUAGES = Object.keys(STRINGS);
export const STATUSES = ["new", "open", "pending", "on-hold", "solved", "closed"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];
export const OPEN_STATUSES = new Set(["new", "open", "pending", "on-hold"]);

// ------------------------------------------------------------------ a store to subscribe to
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
// A time zone the browser knows (a bad one would make every date throw).
export function validZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return Boolean(zone);
  } catch { return false; }
}
// Each agent's zone on this browser (another agent signing in here keeps their own).
const zoneKey = (email) => `tessera.console.zone.${email}`;
export function zoneOf(email) {
  const saved = localStorage.getItem(zoneKey(email));
  return saved && validZone(saved) ? saved : BROWSER_ZONE;
}
export function saveZone(email, zone) {
  if (!validZone(zone)) return false;
  localStorage.setItem(zoneKey(email), zone);
  update({ zone });
  return true;
}
const listeners = new Set();
export const store = {
  lang: pickLanguage(),
  zone: BROWSER_ZONE, // the agent's own, once signed in (zoneOf)
  workspace: { groups: [], agents: [], fields: [] },
  me: null, // GET /api/me: email, name, role, groups, status, notify
  signedIn: false,
  notice: "", // the last confirmation or error, read out by the live region
  lastQueue: "", // the hash of the queue page last shown
};
export function update(changes) {
  Object.assign(store, changes);
  for (const listener of listeners) listener();
}
// Re-render a component whenever the store changes.
export function useStore() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return store;
}
// A confirmation or an error in the live region, gone after a while (unless replaced).
export function say(notice) {
  update({ notice });
  setTimeout(() => { if (store.notice === notice) update({ notice: "" }); }, 10000);
}

// ------------------------------------------------------------------ words, numbers, times
function pickLanguage() {
  const saved = localStorage.getItem("tessera.console.lang");
  if (saved && STRINGS[saved]) return saved;
  for (const tag of navigator.languages || []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (STRINGS[base]) return base;
  }
  return "en";
}
export const t = (key, values) => translate(STRINGS, store.lang, key, values);
export const tIn = (lang, key, values) => translate(STRINGS, lang, key, values);
export const number = (n) => ticketNumber(store.lang, n);
export const size = (n) => bytes(store.lang, n);
export const isRtl = () => RTL.has(store.lang);

export function setLanguage(lang) {
  localStorage.setItem("tessera.console.lang", lang);
  applyLanguage(lang);
  update({ lang });
}
export function applyLanguage(lang = store.lang) {
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? "rtl" : "ltr";
}

// "14 Mar, 09:30" in the agent's zone (and language's digits).
export function when(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(store.lang, {
    dateStyle: "medium", timeStyle: "short", timeZone: store.zone,
  }).format(new Date(iso));
}
// "7 Nov 2026" (Persian: "۱۶ آبان ۱۴۰۵") for a local date "2026-11-07", in the agent's language,
// digits and calendar. A date names a day, not a moment: it is read and written in UTC so that no
// zone moves it to the day before. `options`: Intl's, e.g. { month: "short", day: "numeric" }.
export function day(date, options = { dateStyle: "medium" }) {
  if (!date) return "—";
  return new Intl.DateTimeFormat(store.lang, { ...options, timeZone: "UTC" })
    .format(new Date(`${date}T12:00:00Z`));
}
// The instant a calendar day ("2026-03-01", a date input's value) starts in the agent's zone,
// as ISO-8601 UTC; `days` later with days=1 (the end of a range: the next day's start, less 1 ms).
export function dayStart(day, days = 0, zone = store.zone) {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d + days);
  // The zone's offset at that wall time, asked of Intl twice: once near it, once at the
  // instant found (a day that starts on a daylight-saving change moves by the second answer).
  const offset = (instant) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    }).formatToParts(new Date(instant)).map((p) => [p.type, Number(p.value)]));
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - instant;
  };
  const first = wall - offset(wall);
  return new Date(wall - offset(first)).toISOString();
}
export const dayEnd = (day, zone = store.zone) =>
  new Date(new Date(dayStart(day, 1, zone)).getTime() - 1).toISOString();

// "in 42 min", "overdue 1 h", "5 min ago": a due time or a past time relative to now.
export function relative(iso, now = Date.now()) {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60000);
  const format = new Intl.RelativeTimeFormat(store.lang, { numeric: "auto", style: "short" });
  const abs = Math.abs(minutes);
  if (abs < 60) return format.format(minutes, "minute");
  if (abs < 48 * 60) return format.format(Math.round(minutes / 60), "hour");
  return format.format(Math.round(minutes / 1440), "day");
}
export function due(iso, breached, now = Date.now()) {
  if (!iso && !breached) return { text: "—", level: "" };
  if (breached || new Date(iso).getTime() <= now) {
    const over = iso ? Math.max(1, Math.round((now - new Date(iso).getTime()) / 60000)) : 0;
    return { text: iso ? t("sla.overdue", { time: duration(over) }) : t("sla.breached"), level: "breached" };
  }
  const left = Math.round((new Date(iso).getTime() - now) / 60000);
  return { text: t("sla.in", { time: duration(left) }), level: left <= 60 ? "soon" : "" };
}
// 42 -> "42 min", 90 -> "1 h 30 min", 3000 -> "2 d 2 h" (Intl's unit names).
export function duration(minutes) {
  const unit = (value, name) => new Intl.NumberFormat(store.lang, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
  const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
  if (d) return h ? `${unit(d, "day")} ${unit(h, "hour")}` : unit(d, "day");
  if (h) return m ? `${unit(h, "hour")} ${unit(m, "minute")}` : unit(h, "hour");
  return unit(m, "minute");
}

export const agentName = (email) =>
  store.workspace.agents.find((a) => a.email === email)?.name || email || t("ticket.unassigned");
// The pickers offer enabled agents only (GET /api/workspace); a value that is not among them
// (an assignee disabled since) is kept as an option, so the select still shows it and saving
// another field does not unassign the ticket.
// A custom field as people read it: its label in the console's language (the fields
// document's `labels`), else English's, else any, else the key made readable.
export const fieldLabel = (f) =>
  f.labels?.[store.lang] || f.labels?.en || Object.values(f.labels || {})[0] ||
  f.key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
export const withCurrent = (options, current) =>
  (current && !options.includes(current) ? [...options, current] : options);

// ------------------------------------------------------------------ session and API
export const session = storedSession(sessionStorage, "tessera.token");
const client = apiClient({
  session,
  onUnauthorized() {
    session.clear();
    update({ signedIn: false, notice: t("signin.expired") });
  },
});
// api(path, {method, body, headers}) -> JSON, or throws ApiError (status, code, field, message).
// Signed out, nothing is sent on the agent's behalf (a poll that fires just after sign-out).
export const api = (path, options = {}) =>
  options.auth === false || session.token
    ? client.request(path, options)
    : Promise.reject(new ApiError(401, t("signin.expired")));

// After signing in: who I am and what the pickers offer.
export async function loadWorkspace() {
  const [workspace, me] = await Promise.all([api("/workspace"), api("/me").catch(() => null)]);
  update({ workspace, me, signedIn: true, zone: me ? zoneOf(me.email) : BROWSER_ZONE });
}

export function signOut() {
  session.clear();
  update({ signedIn: false, me: null });
  location.hash = "";
}

// ------------------------------------------------------------------ routes
// #/view/<id>?<query>, #/tickets/<id>, #/new, #/settings, #/reports?<query>: the console's
// pages, so links and Back work.
export function parseRoute(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts[0] === "tickets" && parts[1]) return { page: "ticket", id: parts[1] };
  if (parts[0] === "new") return { page: "new" };
  if (parts[0] === "settings") return { page: "settings" };
  if (parts[0] === "reports") return { page: "reports", params };
  if (parts[0] === "admin") return { page: "admin", area: parts[1] || "people", rest: parts.slice(2), params };
  if (parts[0] === "search") return { page: "search", params };
  return { page: "queue", view: parts[1] || "mine", params };
}
export const go = (hash) => { location.hash = hash; };
// The queue as the agent left it (view, sort, filters): where "Back to the queue" and `u` go.
export const backToQueue = () => store.lastQueue || "#/view/mine";
