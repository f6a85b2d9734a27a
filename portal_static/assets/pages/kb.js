// Knowledge-base pages (rendered per language by the publisher): search, and on an article
// "was this helpful?" (a yes on an article the ticket form suggested is a deflection) and the
// article remembered for the next ticket opened (a ticket opened after viewing it).
import { busy } from "../lib/dom.js";
import { api, run, t } from "../portal/core.js";
import { setUpSearchForms } from "../portal/search.js";
import { rememberViewed } from "../portal/viewed.js";

function setUpVote() {
  const box = document.querySelector(".vote");
  if (!box) return;
  const fromForm = new URLSearchParams(location.search).get("from") === "ticket-form";
  const thanks = box.querySelector(".vote-thanks");
  for (const button of box.querySelectorAll("button[data-helpful]")) {
    button.addEventListener("click", async () => {
      const helpful = button.dataset.helpful === "true";
      await busy(button, () => api("/kb/votes", {
        method: "POST",
        auth: false,
        body: { article: box.dataset.article, language: box.dataset.language, helpful, source: fromForm ? "ticket-form" : "kb" },
      })).catch(() => {});
      for (const b of box.querySelectorAll("button")) b.disabled = true;
      thanks.textContent = helpful && fromForm ? t("kb.solved_it") : t("kb.thanks");
      box.querySelector(".vote-more").hidden = helpful;
    });
  }
}

// At once, not after portal.json: a reader who moves on quickly has viewed the article too.
const article = document.querySelector("article[data-article]");
if (article) rememberViewed(article.dataset.language, article.dataset.article);

run(async () => {
  setUpSearchForms();
  setUpVote();
});
