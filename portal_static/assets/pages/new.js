// Open a ticket: subject, message, priority, product and custom fields (portal.json), files,
// knowledge-base suggestions while the customer types, and the articles they viewed before
// (portal/viewed.js), sent with the ticket for the reports.
import { $, busy, el } from "../lib/dom.js";
import { api, config, requireSignIn, rerender, root, run, session, showError, state, t } from "../portal/core.js";
import { checkFiles, showLimits, upload } from "../portal/files.js";
import { loadIndex, resultItem, search, tokens } from "../portal/search.js";
import { forgetViewed, viewedArticles } from "../portal/viewed.js";

run(async () => {
  if (!session.token) return requireSignIn(t("new.signin_needed"));
  const form = $("new-form");
  // The fields document's customer-visible fields (GET /api/ticket-form) join portal.json's:
  // its `required` marks either, and those portal.json does not show are added after its own.
  let documentFields = [];
  function formFields() {
    const byKey = Object.fromEntries(documentFields.map((f) => [f.key, f]));
    const shown = new Set(config.custom_fields.map((f) => f.key));
    if (config.products.length) shown.add("product");
    const own = config.custom_fields.map((f) => ({ ...f, required: f.required || Boolean(byKey[f.key]?.required) }));
    return [...own, ...documentFields.filter((f) => !shown.has(f.key))];
  }
  function drawFields() {
    $("priority-field").hidden = !config.priorities;
    $("product-field").hidden = !config.products.length;
    const product = $("new-product");
    const chosen = product.value;
    product.replaceChildren(el("option", { value: "", text: t("new.choose") }),
      ...config.products.map((p) => el("option", { value: p, text: p })));
    product.value = chosen;
    product.required = Boolean(documentFields.find((f) => f.key === "product")?.required);
    // Drawn again when the fields document arrives and when the language changes: the inputs
    // already there are kept in place (updated, not replaced), so what is being typed into one,
    // and its focus, survive the redraw.
    const box = $("custom-fields");
    const nodes = formFields().flatMap((field) => {
      const id = `field-${field.key}`;
      const label = box.querySelector(`label[for="${CSS.escape(id)}"]`) || el("label", { for: id });
      label.replaceChildren(field.labels[state.lang] || field.labels.en || Object.values(field.labels)[0] || field.key);
      // Required is said in words beside the label, not only by the browser on submit.
      if (field.required) label.append(" ", el("span", { class: "required", text: t("new.required") }));
      const before = box.querySelector(`#${CSS.escape(id)}`);
      const input = fieldInput(field, id, before);
      if (before && input !== before) input.value = before.value;
      input.required = Boolean(field.required);
      return [label, input];
    });
    let at = box.firstChild;
    for (const node of nodes) {
      if (node === at) at = at.nextSibling;
      else box.insertBefore(node, at);
    }
    while (at) { const next = at.nextSibling; at.remove(); at = next; }
    showLimits($("new-limits"));
  }
  // The input for a field: the one on the form when it is still of the same kind, else a new one.
  function fieldInput(field, id, existing) {
    if (field.type !== "select") {
      return existing?.tagName === "INPUT" ? existing : el("input", { id, name: field.key, dir: "auto" });
    }
    const values = ["", ...field.options];
    const same = existing?.tagName === "SELECT" && [...existing.options].map((o) => o.value).join("\n") === values.join("\n");
    const select = same ? existing : el("select", { id, name: field.key },
      ...values.map((o) => el("option", { value: o, text: o })));
    select.options[0].text = t("new.choose");
    return select;
  }
  let timer = null;
  async function suggest() {
    const text = `${$("new-subject").value} ${$("new-body").value.slice(0, 200)}`.trim();
    const box = $("suggestions-box");
    if (tokens(text).join("").length < 3) { box.hidden = true; return; }
    const index = await loadIndex(state.lang).catch(() => null);
    const hits = index ? search(index, text, 3).filter((h) => h.score >= 50) : [];
    $("suggestions").replaceChildren(...hits.map((hit) => resultItem(hit, "?from=ticket-form", true)));
    box.hidden = !hits.length;
  }
  for (const id of ["new-subject", "new-body"]) {
    $(id).addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => suggest().catch(() => {}), 150); });
  }
  $("new-files").addEventListener("change", () => checkFiles($("new-files"), $("new-files-error")));
  suggest().catch(() => {}); // text typed (or restored by the browser) before this ran
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!checkFiles($("new-files"), $("new-files-error"))) return;
    const custom = {};
    if ($("new-product").value) custom.product = $("new-product").value;
    for (const input of $("custom-fields").querySelectorAll("[name]")) if (input.value.trim()) custom[input.name] = input.value.trim();
    const payload = { subject: $("new-subject").value.trim(), body: $("new-body").value };
    if (config.priorities) payload.priority = $("new-priority").value;
    if (Object.keys(custom).length) payload.custom_fields = custom;
    const button = form.querySelector('button[type="submit"]');
    try {
      const created = await busy(button, async () => {
        // The files go first, so they ride on the ticket's first message.
        const ids = [];
        for (const file of $("new-files").files) {
          try { ids.push(await upload(null, file)); } catch (error) {
            $("new-files-error").textContent = t("new.upload_failed", { name: file.name });
            throw error;
          }
        }
        if (ids.length) payload.attachments = ids;
        // Read now: a suggestion opened in another tab while the form was filled counts too.
        const viewed = viewedArticles();
        if (viewed.length) payload.viewed_articles = viewed;
        return api("/tickets", { method: "POST", body: payload });
      });
      forgetViewed(); // counted with this ticket: the next one counts only what is read after
      sessionStorage.setItem("tessera.created", String(created.number));
      location.assign(`${root}ticket.html?id=${encodeURIComponent(created.id)}`);
    } catch (error) { showError($("page-error"), error); }
  });
  rerender.push(drawFields);
  drawFields();
  api("/ticket-form", { auth: false }).then((answer) => { documentFields = answer.custom_fields; drawFields(); }).catch(() => {});
});
