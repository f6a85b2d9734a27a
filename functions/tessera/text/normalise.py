"""One normalisation for the search index and the query, so that what a reader types finds what
an author wrote however either keyboard spells it.

- Arabic and Persian letter forms fold to the Persian ones (``ي``/``ى`` -> ``ی``, ``ك`` ->
  ``ک``), hamza carriers and ``ة`` to their bare letters, diacritics (harakat) and the tatweel
  go; the zero-width non-joiner separates words (``می‌خواهم`` is found by ``میخواهم``).
- Greek loses its accents and diaeresis (``διεύθυνση`` = ``διευθυνση``) and final sigma is
  ``σ``.
- Latin loses accents too (``café`` = ``cafe``); everything is case-folded; Persian, Arabic
  and other digits become ASCII digits.

``portal_static/assets/portal/search.js`` implements the same steps for the query;
``tests/e2e/test_portal.py`` checks both give the same answer.
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ئ": "ی",
        "ك": "ک",  # Arabic kaf
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ـ": "",  # tatweel
        "\u200c": " ",  # zero-width non-joiner: a word boundary inside Persian words
        "\u200d": "",
        "ς": "σ",
    }
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """``text`` folded for matching (see the module docstring)."""
    text = text.translate(_LETTERS).casefold()
    # Canonical decomposition, then drop combining marks (accents, harakat) and map digits.
    out = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn":
            continue
        digit = unicodedata.digit(char, None)
        out.append(str(digit) if digit is not None and not char.isascii() else char)
    return unicodedata.normalize("NFC", "".join(out)).translate(_LETTERS)


def tokens(text: str) -> list[str]:
    """The words of ``text``, normalised."""
    return _TOKEN.findall(normalise(text))


# ------------------------------------------------------------------ terms for ticket search
# Han, Hiragana, Katakana (and their punctuation-free marks): written without spaces, so a run
# of them is indexed as its overlapping pairs of characters (bigrams).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_JOINED = re.compile(r"[^\W_]+(?:\u200c[^\W_]+)+", re.UNICODE)
_LATIN_WORD = re.compile(r"^[a-z]+$")


def stem(word: str) -> str:
    """A light English stemmer (plurals, -ing, -ed, a final e): ``refunds``, ``refunded`` and
    ``refunding`` are ``refund``; ``charge`` and ``charging`` are ``charg``. Other scripts and
    short words are left as they are."""
    if len(word) <= 3 or not _LATIN_WORD.match(word):
        return word
    for suffix, replacement, shortest in (
        ("ies", "y", 4),
        ("sses", "ss", 5),
        ("ing", "", 5),
        ("ed", "", 4),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) >= shortest:
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _pieces(token: str) -> list[str]:
    """A token as search terms: CJK runs become bigrams (a lone character stays one)."""
    if not _CJK.search(token):
        return [token]
    out: list[str] = []
    run = ""
    for char in token + " ":
        if _CJK.match(char):
            run += char
            continue
        if run:
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
            run = ""
        if char != " ":
            out.append(char)
    # Latin letters stuck to CJK ("iPhone退款") stay words of their own.
    merged: list[str] = []
    for piece in out:
        if merged and not _CJK.match(piece[0]) and not _CJK.match(merged[-1][-1]):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def search_terms(text: str) -> list[str]:
    """``text`` as the terms ticket search indexes and matches, in order: normalised words, CJK
    bigrams, and for a Persian word written with a zero-width non-joiner both halves and the
    joined word (``می‌خواهم`` is found by ``میخواهم`` and by ``خواهم``)."""
    terms: list[str] = []
    for token in tokens(text):
        terms.extend(_pieces(token))
    for joined in _JOINED.findall(text):
        terms.extend(tokens(joined.replace("\u200c", "")))
    return terms


def is_cjk(term: str) -> bool:
    return bool(_CJK.match(term))
