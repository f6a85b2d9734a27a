// The knowledge base (#/admin/kb): the articles written through the API per language with their
// status, an editor with a live preview rendered by the API with the publish renderer (shown in
// a frame that runs nothing, never as HTML in this page), the article's other languages side by
// side, publish / unpublish / delete (confirmed), and the readers' feedback with links to fix:
// votes and tickets opened after viewing per article, searches per language and those that
// found nothing.
// Articles of the repository's kb/ folder are reviewed as files and are not edited here.
import { useEffect, useRef, useState } from "../../assets/vendor/htm-preact.js";
import { SANDBOX, fitToContent, messageDocument } from "../../assets/lib/frame.js";
import { LANGUAGES, api, go, html, number, say, t, tIn, when } from "../core.js";
import { actorName } from "./common.js";
import { Confirm } from "./confirm.js";

const PREVIEW_AFTER_MS = 400;
const RTL_LANGUAGES = new Set(["fa"]);
const direction = (lang) => (RTL_LANGUAGES.has(lang) ? "rtl" : "ltr");

function status(summary) {
  if (!summary.published_version) return "draft";
  return summary.published_version === summary.draft_version ? "published" : "changed";
}

function Preview({ markup, lang }) {
  const frame = useRef(null);
  const doc = messageDocument(markup, direction(lang),
    "body{margin:0;padding:.25rem .75rem;font:15px/1.6 system-ui,sans-serif;color:#102a43;overflow-wrap:anywhere}");
  return html`<iframe ref=${frame} class="kb-preview" title=${t("admin.kb.preview")} srcdoc=${doc}
    sandbox=${SANDBOX} referrerpolicy="no-referrer" onLoad=${() => fitToContent(frame.current)} />`;
}

export function KbArticles({ rest }) {
  if (rest.length >= 2) return html`<${ArticleEditor} key=${rest.join("/")} language=${rest[0]} slug=${rest[1]} />`;
  return html`<${ArticleList} />`;
}

function ArticleList() {
  const [items, setItems] = useState(null);
  const [report, setReport] = useState(null);
  const [language, setLanguage] = useState("");
  useEffect(() => {
    api("/admin/kb/articles").then((found) => setItems(found.items)).catch((e) => say(e.message));
    api("/admin/kb/report").then(setReport).catch((e) => say(e.message));
  }, []);
  function create(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    go(`#/admin/kb/${form.get("language")}/${String(form.get("slug")).trim()}`);
  }
  if (!items) return html`<p>…</p>`;
  const shown = items.filter((a) => !language || a.language === language);
  const ours = new Set(items.map((a) => `${a.language}/${a.slug}`));
  const link = (lang, slug) => (ours.has(`${lang}/${slug}`) ? `#/admin/kb/${lang}/${slug}` : `/kb/${lang}/${slug}.html`);
  return html`<section class="kb-admin" aria-labelledby="kb-title">
    <h1 id="kb-title">${t("admin.kb.title")}</h1>
    <p class="hint">${t("admin.kb.hint")}</p>
    <form class="kb-new" onSubmit=${create} aria-label=${t("admin.kb.new")}>
      <label>${t("admin.kb.language")} <select name="language">${LANGUAGES.map((l) => html`<option value=${l}>${tIn(l, "language.name")}</option>`)}</select></label>
      <label>${t("admin.kb.slug")} <input name="slug" required pattern="[a-z0-9][a-z0-9\\-]{0,80}" dir="ltr" placeholder="print-an-invoice" /></label>
      <button type="submit" class="primary">${t("admin.kb.new")}</button>
    </form>
    <label class="inline">${t("admin.kb.show_language")} <select value=${language} onChange=${(e) => setLanguage(e.target.value)}>
      <option value="">${t("filter.any")}</option>${LANGUAGES.map((l) => html`<option value=${l}>${tIn(l, "language.name")}</option>`)}</select></label>
    ${shown.length === 0 ? html`<p class="empty">${t("admin.kb.none")}</p>` : html`<div class="table-wrap"><table class="kb-list">
      <thead><tr><th scope="col">${t("admin.kb.article")}</th><th scope="col">${t("admin.kb.language")}</th>
        <th scope="col">${t("admin.kb.status")}</th><th scope="col">${t("admin.kb.updated")}</th></tr></thead>
      <tbody>${shown.map((a) => html`<tr data-article=${`${a.language}/${a.slug}`}>
        <td><a href=${`#/admin/kb/${a.language}/${a.slug}`} dir="auto">${a.title}</a> <code dir="ltr">${a.slug}</code></td>
        <td lang=${a.language}>${tIn(a.language, "language.name")}</td>
        <td><span class=${`badge kb-${status(a)}`}>${t(`admin.kb.status_${status(a)}`)}</span></td>
        <td>${actorName(a.updated_by)} · ${when(a.updated_at)}</td></tr>`)}</tbody></table></div>`}
    ${report && html`<h2>${t("admin.kb.feedback")}</h2>
      ${report.articles.length === 0 ? html`<p class="empty">${t("admin.kb.no_votes")}</p>` : html`<div class="table-wrap"><table class="kb-report">
        <thead><tr><th scope="col">${t("admin.kb.article")}</th><th scope="col">${t("admin.kb.helpful")}</th>
          <th scope="col">${t("admin.kb.unhelpful")}</th><th scope="col">${t("admin.kb.deflected")}</th>
          <th scope="col">${t("admin.kb.opened_after")}</th></tr></thead>
        <tbody>${[...report.articles].sort((x, y) => y.unhelpful - x.unhelpful || y.opened_after - x.opened_after).map((r) => html`<tr data-article=${`${r.language}/${r.article}`}>
          <td><a href=${link(r.language, r.article)} dir="ltr">${r.language}/${r.article}</a></td>
          <td>${number(r.helpful)}</td><td>${number(r.unhelpful)}</td><td>${number(r.deflected)}</td><td>${number(r.opened_after)}</td></tr>`)}</tbody></table></div>`}
      <p class="kb-totals">${t("admin.kb.tickets_after_view", { n: report.tickets_after_view })}</p>
      <h3>${t("admin.kb.searches")}</h3>
      ${report.searches.length === 0 ? html`<p class="empty">${t("admin.kb.no_searches")}</p>` : html`<ul class="kb-searches">${report.searches.map((s) => html`
        <li><span lang=${s.language}>${tIn(s.language, "language.name")}</span> · ${t("admin.kb.times", { n: s.count })}</li>`)}</ul>`}
      <h3>${t("admin.kb.missed")}</h3>
      ${report.missed_searches.length === 0 ? html`<p class="empty">${t("admin.kb.no_missed")}</p>` : html`<ul class="missed">${report.missed_searches.map((m) => html`
        <li><span dir="auto" lang=${m.language}>“${m.query}”</span> · ${tIn(m.language, "language.name")} · ${t("admin.kb.times", { n: m.count })}</li>`)}</ul>`}`}
  </section>`;
}

const EMPTY = { title: "", description: "", category: "", body: "", keywords: [] };

function ArticleEditor({ language, slug }) {
  const [article, setArticle] = useState(null); // null: loading; false: new
  const [draft, setDraft] = useState(EMPTY);
  const [markup, setMarkup] = useState("");
  const [other, setOther] = useState(LANGUAGES.find((l) => l !== language));
  const [translation, setTranslation] = useState(null);
  const [error, setError] = useState("");
  const [asking, setAsking] = useState("");
  const timer = useRef(0);

  async function load() {
    try {
      const found = await api(`/admin/kb/articles/${language}/${slug}`);
      setArticle(found);
      setDraft({ ...EMPTY, ...found.draft });
      preview(found.draft.body);
    } catch (failure) {
      if (failure.status === 404) setArticle(false);
      else say(failure.message);
    }
  }
  useEffect(() => { load(); return () => clearTimeout(timer.current); }, []);
  useEffect(() => {
    setTranslation(null);
    api(`/admin/kb/articles/${other}/${slug}`).then(setTranslation).catch(() => setTranslation(false));
  }, [other]);

  async function preview(body) {
    try { setMarkup((await api("/admin/kb/preview", { method: "POST", body: { body } })).html); } catch (failure) { setError(failure.message); }
  }
  function edit(name, value) {
    setDraft((d) => ({ ...d, [name]: value }));
    if (name === "body") {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => preview(value), PREVIEW_AFTER_MS);
    }
  }
  const version = article ? { "If-Match": `"${article.draft_version}"` } : {};
  async function run(action) {
    setError("");
    try { await action(); } catch (failure) { setError(failure.message); if (failure.status === 412) await load(); }
  }
  const save = (event) => { event.preventDefault(); return run(async () => {
    const body = { title: draft.title, description: draft.description, category: draft.category, body: draft.body, section: draft.section || "", keywords: draft.keywords };
    const saved = await api(`/admin/kb/articles/${language}/${slug}`, { method: "PUT", body, headers: version });
    setArticle(saved);
    say(t("admin.kb.saved", { version: saved.draft_version }));
  }); };
  const publish = () => run(async () => {
    await api(`/admin/kb/articles/${language}/${slug}/publish`, { method: "POST", headers: version });
    await load();
    say(t("admin.kb.published"));
  });
  const unpublish = () => run(async () => {
    setAsking("");
    await api(`/admin/kb/articles/${language}/${slug}/unpublish`, { method: "POST" });
    await load();
    say(t("admin.kb.unpublished"));
  });
  const remove = () => run(async () => {
    setAsking("");
    await api(`/admin/kb/articles/${language}/${slug}`, { method: "DELETE", headers: version });
    say(t("admin.kb.deleted", { slug }));
    go("#/admin/kb");
  });

  if (article === null) return html`<p>…</p>`;
  const state = article ? status(article) : "new";
  // The store keeps the text without its trailing blank lines: compare as it keeps it.
  const kept = (d) => JSON.stringify([d.title, d.description, d.category, d.body].map((v) => (v || "").trimEnd()));
  const saved = article && kept(draft) === kept(article.draft);
  return html`<section class="kb-editor" aria-labelledby="kb-edit-title">
    <p><a href="#/admin/kb">${t("admin.kb.back")}</a></p>
    <h1 id="kb-edit-title">${t("admin.kb.editing", { slug, language: tIn(language, "language.name") })}</h1>
    <p class="applied"><span class=${`badge kb-${state}`}>${t(`admin.kb.status_${state}`)}</span>
      ${article && ` ${t("admin.kb.versions", { draft: article.draft_version, published: article.published_version })}`}
      ${article?.published_version ? html` · <a href=${`/kb/${language}/${slug}.html`} target="_blank" rel="noopener">${t("admin.kb.on_portal")}</a>` : ""}</p>
    <div class="kb-columns">
      <form class="kb-form" onSubmit=${save} lang=${language} dir=${direction(language)}>
        <label>${t("admin.kb.field_title")} <input value=${draft.title} onInput=${(e) => edit("title", e.target.value)} required maxlength="300" /></label>
        <label>${t("admin.kb.field_description")} <input value=${draft.description} onInput=${(e) => edit("description", e.target.value)} required maxlength="300" /></label>
        <label>${t("admin.kb.field_category")} <input value=${draft.category} onInput=${(e) => edit("category", e.target.value)} required pattern="[a-z0-9][a-z0-9\\-]{0,80}" dir="ltr" placeholder="billing" /></label>
        <label>${t("admin.kb.field_body")} <textarea value=${draft.body} onInput=${(e) => edit("body", e.target.value)} required rows="14" class="kb-body"></textarea></label>
        <p class="error" role="alert">${error}</p>
        <div class="actions">
          <button type="submit" class="primary">${t("admin.kb.save")}</button>
          ${article && html`<button type="button" onClick=${publish} disabled=${!saved}>${t("admin.kb.publish")}</button>`}
          ${article?.published_version ? html`<button type="button" class="danger" onClick=${() => setAsking("unpublish")}>${t("admin.kb.unpublish")}</button>` : ""}
          ${article && html`<button type="button" class="danger" onClick=${() => setAsking("delete")}>${t("admin.kb.delete")}</button>`}
        </div>
        ${article && !saved && html`<p class="hint">${t("admin.kb.save_first")}</p>`}
      </form>
      <div class="kb-side">
        <h2>${t("admin.kb.preview")}</h2>
        <${Preview} markup=${markup} lang=${language} />
        <h2><label class="inline">${t("admin.kb.translation")}
          <select value=${other} onChange=${(e) => setOther(e.target.value)}>${LANGUAGES.filter((l) => l !== language).map((l) => html`<option value=${l}>${tIn(l, "language.name")}</option>`)}</select></label></h2>
        ${translation === null ? html`<p>…</p>` : translation === false
          ? html`<p class="empty">${t("admin.kb.no_translation")} <a href=${`#/admin/kb/${other}/${slug}`}>${t("admin.kb.write_translation")}</a></p>`
          : html`<div class="kb-translation" lang=${other} dir=${direction(other)}>
              <p><strong>${translation.draft.title}</strong> · <span class=${`badge kb-${status(translation)}`}>${t(`admin.kb.status_${status(translation)}`)}</span>
                · <a href=${`#/admin/kb/${other}/${slug}`}>${t("admin.kb.edit_translation")}</a></p>
              <pre class="kb-source">${translation.draft.body}</pre></div>`}
      </div>
    </div>
    ${asking && html`<${Confirm} title=${t(`admin.kb.${asking}_title`, { slug })} text=${t(`admin.kb.${asking}_text`)}
      action=${t(`admin.kb.${asking}`)} onConfirm=${asking === "delete" ? remove : unpublish} onCancel=${() => setAsking("")} />`}
  </section>`;
}
