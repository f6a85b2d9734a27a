// The few icons the console uses, drawn here as inline SVG (no icon font, no emoji font needed).
import { html } from "./core.js";

const PATHS = {
  bell: "M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0",
  lock: "M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z",
  reply: "M10 8 4 13l6 5M4 13h10a6 6 0 0 1 6 6",
  mail: "M3 6h18v12H3zM3 6l9 7 9-7",
  gear: "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2",
  clip: "M16 7l-7 7a2 2 0 0 0 3 3l7-7a4 4 0 0 0-6-6l-7 7a6 6 0 0 0 8 8l6-6",
};

export const icon = (name) => html`<svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"
  fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d=${PATHS[name]} /></svg>`;
