// The one way the portal and the console talk to the API (/api on the same origin): JSON in and
// out, the bearer token of a stored session, and the API's error shape
// {"error": {"code", "message", "field"?, "line"?}} as an ApiError.

export class ApiError extends Error {
  constructor(status, message, { code = "", field = "", line = null, message: problem = "" } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.problem = problem || message; // the API's own words, without the "field: " in front
    this.line = line; // a refused configuration document: the line the problem is on
  }
}

// A token kept in `storage` (localStorage for customers, who come back from mail links;
// sessionStorage for staff, so a closed tab signs them out) under `key`, with optional flags.
export function storedSession(storage, key) {
  return {
    get token() { return storage.getItem(key); },
    flag(name) { return storage.getItem(`${key}.${name}`) === "1"; },
    save(token, flags = {}) {
      storage.setItem(key, token);
      for (const [name, on] of Object.entries(flags)) storage.setItem(`${key}.${name}`, on ? "1" : "0");
    },
    clear() {
      for (const name of Object.keys(storage)) if (name === key || name.startsWith(`${key}.`)) storage.removeItem(name);
    },
  };
}

// client.request(path, { method, body, auth, headers, as, keepalive }) -> the JSON answer (as:
// "blob": the body as a Blob, for a CSV download), or throws ApiError. keepalive: the request
// outlives the page (a report sent as the reader follows a link).
// `onUnauthorized` runs when a signed-in request is refused with 401 (an expired session).
export function apiClient({ base = "/api", session, onUnauthorized = () => {} }) {
  async function request(path, { method = "GET", body, auth = true, headers = {}, as = "json", keepalive = false } = {}) {
    const sent = { Accept: "application/json", ...headers };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (auth && session?.token) sent.Authorization = `Bearer ${session.token}`;
    const response = await fetch(base + path, {
      method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body), keepalive,
    });
    if (as === "blob" && response.ok) return response.blob();
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401 && auth && session?.token) onUnauthorized();
      const error = data.error || {};
      const where = error.field ? `${error.field}: ` : "";
      throw new ApiError(response.status, where + (error.message || `HTTP ${response.status}`), error);
    }
    return data;
  }
  return { request };
}
