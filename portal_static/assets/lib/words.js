// Words in the reader's language, shared by the portal and the console: a key looked up in the
// language's strings (English when missing), "{name}" filled in, and ICU-style plurals
// "{n, plural, one {# article} other {# articles}}" chosen by the language's plural rules
// (Intl.PluralRules), "#" standing for n. Numbers are written in the language's digits.
// tessera.kb.render does the same for the pages it renders.
const PLURAL = /\{(\w+), plural,((?:\s*\w+\s*\{[^{}]*\})+)\s*\}/g;
const FORM = /(\w+)\s*\{([^{}]*)\}/g;

export const RTL = new Set(["ar", "fa", "he", "ur", "ps", "ckb"]);

export function translate(strings, lang, key, values = {}) {
  const number = (value) => (typeof value === "number" ? new Intl.NumberFormat(lang).format(value) : String(value));
  let text = (strings[lang] && strings[lang][key]) || (strings.en && strings.en[key]) || key;
  text = text.replace(PLURAL, (_match, name, forms) => {
    const n = Number(values[name]);
    const chosen = Object.fromEntries([...forms.matchAll(FORM)].map((m) => [m[1], m[2]]));
    const form = chosen[new Intl.PluralRules(lang).select(n)] ?? chosen.other ?? "";
    return form.split("#").join(number(n));
  });
  for (const [name, value] of Object.entries(values)) text = text.split(`{${name}}`).join(number(value));
  return text;
}

// A ticket number is a name, not a quantity: no grouping (#1004, not #1,004).
export const ticketNumber = (lang, n) => new Intl.NumberFormat(lang, { useGrouping: false }).format(n);

export function bytes(lang, n) {
  const unit = (value, name, digits, display = "short") =>
    new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: display, maximumFractionDigits: digits }).format(value);
  if (n >= 1024 * 1024) return unit(n / (1024 * 1024), "megabyte", 1);
  if (n >= 1024) return unit(n / 1024, "kilobyte", 0);
  return unit(n, "byte", 0, "narrow"); // "70B": "byte" has no short plural in every language
}
