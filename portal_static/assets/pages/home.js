// The portal's front page: search the knowledge base, browse its topics.
import { $, el } from "../lib/dom.js";
import { rerender, root, run, state } from "../portal/core.js";
import { loadIndex, setUpSearchForms } from "../portal/search.js";

run(async () => {
  setUpSearchForms();
  const topics = $("topics");
  const draw = async () => {
    const index = await loadIndex(state.lang).catch(() => null);
    topics.replaceChildren(...(index?.topics || []).map(([url, name]) => el("li", {}, el("a", { href: root + url, text: name }))));
  };
  rerender.push(draw);
  await draw();
});
