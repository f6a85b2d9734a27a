// DOM helpers shared by the portal and the console. Text from the API is only ever set with
// textContent (the `text` prop): nothing from a ticket is parsed as HTML here.

export const $ = (id) => document.getElementById(id);

// el("a", { href, text, class }, ...children): an element with properties or attributes set.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Disable a button (and say so to assistive technology) while `work` runs.
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
