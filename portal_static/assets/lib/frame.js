// A message's sanitized HTML, shown by the portal and the console inside a frame that can run
// nothing: no allow-scripts in its sandbox, and a CSP of its own that forbids script, forms,
// frames and remote loads (a mail's remote image is blocked, cid: and data: images show).
export const SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox";
const POLICY = "default-src 'none'; img-src cid: data:; style-src 'unsafe-inline'; form-action 'none'";

// The frame's whole document: the markup (already sanitized by the API), in `direction`, with
// the page's own `css` for its body; links open outside the frame.
export function messageDocument(markup, direction, css) {
  return `<!doctype html><html dir="${direction}"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${POLICY}"><base target="_blank">` +
    `<style>${css}img{max-width:100%}</style></head><body>${markup}</body></html>`;
}

// Grow the frame to its content once it has loaded (no scrollbar inside the thread).
export function fitToContent(frame) {
  const doc = frame?.contentDocument;
  if (doc && doc.body) frame.style.blockSize = `${doc.documentElement.scrollHeight + 4}px`;
}
