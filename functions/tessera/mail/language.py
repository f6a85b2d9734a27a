"""Which language a mail is written in, from its script and, for Latin script, common words.

Small and dependency-free on purpose: it only has to choose the acknowledgement's language and
a routing hint. Scripts settle most languages (Greek, Persian vs Arabic by the letters only Persian
uses, Cyrillic, kana, Han, Hangul, Hebrew, Thai); Latin text is scored on frequent words.
"""

from __future__ import annotations

import re
from collections import Counter

_PERSIAN_ONLY = set("پچژگکی")  # letters Persian uses and Arabic does not (keheh, farsi yeh)
_LATIN_WORDS = {
    "en": {"the", "and", "is", "to", "my", "you", "please", "thanks", "hello", "i", "not", "have"},
    "de": {"der", "die", "und", "ist", "nicht", "ich", "bitte", "danke", "mein", "hallo", "das"},
    "fr": {"le", "la", "et", "est", "je", "pas", "merci", "bonjour", "mon", "les", "une", "vous"},
    "es": {"el", "la", "y", "es", "no", "mi", "gracias", "hola", "por", "favor", "que", "una"},
}
_WORD = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str | None:
    code = ord(ch)
    if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF:
        return "el"
    if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF:
        return "fa" if ch in _PERSIAN_ONLY else "arabic"
    if 0x0400 <= code <= 0x04FF:
        return "ru"
    if 0x3040 <= code <= 0x30FF:
        return "ja"
    if 0x4E00 <= code <= 0x9FFF:
        return "han"
    if 0xAC00 <= code <= 0xD7AF:
        return "ko"
    if 0x0590 <= code <= 0x05FF:
        return "he"
    if 0x0E00 <= code <= 0x0E7F:
        return "th"
    if ch.isascii() and ch.isalpha():
        return "latin"
    return None


def detect(text: str) -> str | None:
    """An ISO 639-1 code (``en``, ``fa``, ``el``, ``zh`` ...) or None when there is too little
    text to tell."""
    sample = text[:4000]
    scripts = Counter(s for s in map(_script, sample) if s is not None)
    if not scripts:
        return None
    if scripts["fa"] or scripts["arabic"]:
        arabic_script = scripts["fa"] + scripts["arabic"]
        if arabic_script >= scripts["latin"] / 4:
            return "fa" if scripts["fa"] else "ar"
    script, count = max(
        ((s, c) for s, c in scripts.items() if s not in {"fa", "arabic"}),
        key=lambda sc: sc[1],
        default=("", 0),
    )
    if script == "han":
        return "ja" if scripts["ja"] else "zh"
    if script == "latin" or not script:
        words = Counter(w.lower() for w in _WORD.findall(sample))
        scores = {lang: sum(words[w] for w in vocab) for lang, vocab in _LATIN_WORDS.items()}
        best = max(scores, key=lambda lang: scores[lang])
        return best if scores[best] else ("en" if count >= 20 else None)
    return script
