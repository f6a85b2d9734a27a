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
