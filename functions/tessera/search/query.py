"""How a search box's text is read.

- words: every word must match (``refund card``); Latin words match by their light stem
  (``refunds`` finds ``refunded``), other scripts after normalisation (tessera.text.normalise);
- ``"exact phrases"``: the words in that order;
- prefixes: ``refun*`` (the console adds ``*`` to the last word while one types);
- ticket numbers: ``#1042`` is that ticket; a bare ``1042`` is a word like the others (it is in
  the ticket's own text, so the ticket is found);
- an email address or a name: its words as a phrase (``casey@customer.test``);
- Chinese and Japanese: a run of characters is a phrase of its bigrams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tessera.errors import ValidationFailed
from tessera.text.normalise import is_cjk, normalise, search_terms, stem, tokens

MAX_QUERY = 200
MAX_CLAUSES = 12
_PART = re.compile(r'"([^"]*)"?|(\S+)')
_NUMBER = re.compile(r"^#(\d{1,9})$")


@dataclass(frozen=True)
class Clause:
    """One condition every found ticket meets. ``kind``: ``word`` (a stem), ``phrase`` (terms
    in order; with ``prefix`` the last is a prefix), ``either`` (any of ``alternatives``)."""

    kind: str
    terms: tuple[str, ...]
    prefix: bool = False
    alternatives: tuple[Clause, ...] = ()


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    numbers: tuple[int, ...]

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.numbers

    def clause_expressions(self) -> list[str]:
        """Each clause as an SQLite FTS5 MATCH expression (over columns ``body`` and ``stems``);
        every term is quoted, so no text is FTS5 syntax. A ticket matches when each clause
        matches one of its texts (words may be in the subject and in different messages)."""
        return [_fts(c) for c in self.clauses]

    def any_expression(self) -> str:
        """A text matching any clause (where a snippet comes from)."""
        return " OR ".join(f"({e})" for e in self.clause_expressions())

    def highlights(self) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
        """(stems, exact terms, prefixes) whose words a snippet marks."""
        stems: set[str] = set()
        exact: set[str] = set()
        prefixes: list[str] = []
        for clause in self.clauses:
            for c in clause.alternatives or (clause,):
                if c.kind == "word":
                    stems.update(c.terms)
                else:
                    exact.update(c.terms[:-1] if c.prefix else c.terms)
                    if c.prefix:
                        prefixes.append(c.terms[-1])
        return frozenset(stems), frozenset(exact), tuple(prefixes)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts(clause: Clause) -> str:
    if clause.kind == "either":
        return "(" + " OR ".join(_fts(c) for c in clause.alternatives) + ")"
    if clause.kind == "word":
        return f"stems : {_quote(clause.terms[0])}"
    phrase = _quote(" ".join(clause.terms))
    return f"body : {phrase}{' *' if clause.prefix else ''}"


def _word(raw: str) -> Clause | None:
    prefix = raw.endswith("*")
    raw = raw.rstrip("*")
    if "\u200c" in raw and not prefix:
        halves = search_terms(raw.replace("\u200c", " "))
        joined = tokens(raw.replace("\u200c", ""))
        return Clause(
            "either",
            (),
            alternatives=(Clause("phrase", tuple(halves)), Clause("phrase", tuple(joined))),
        )
    terms = tuple(search_terms(raw))
    if not terms:
        return None
    if prefix:
        return Clause("phrase", terms, prefix=True)
    if len(terms) == 1 and not is_cjk(terms[0]):
        return Clause("word", (stem(terms[0]),))
    if len(terms) == 1 and len(terms[0]) == 1:  # one CJK character: any bigram starting with it
        return Clause("phrase", terms, prefix=True)
    return Clause("phrase", terms)


def parse(text: str) -> Query:
    """The query in ``text``; ValidationFailed("q") when it is too long or has too many parts."""
    if len(text) > MAX_QUERY:
        raise ValidationFailed("q", f"is longer than {MAX_QUERY} characters")
    clauses: list[Clause] = []
    numbers: list[int] = []
    for match in _PART.finditer(text):
        phrase, bare = match.group(1), match.group(2)
        if phrase is not None:
            terms = tuple(search_terms(phrase))
            if terms:
                clauses.append(Clause("phrase", terms))
            continue
        number = _NUMBER.match(bare)
        if number:
            numbers.append(int(number.group(1)))
            continue
        clause = _word(bare)
        if clause is not None:
            clauses.append(clause)
    if len(clauses) + len(numbers) > MAX_CLAUSES:
        raise ValidationFailed("q", f"has more than {MAX_CLAUSES} words")
    return Query(tuple(clauses), tuple(numbers))


def marks(query: Query, text: str) -> list[tuple[int, int]]:
    """The character ranges of ``text`` that a snippet marks as matched."""
    stems, exact, prefixes = query.highlights()
    cjk = [t for t in exact if is_cjk(t)] + [p for p in prefixes if is_cjk(p)]
    ranges: list[tuple[int, int]] = []
    for word in re.finditer(r"[^\W_]+", text):
        folded = normalise(word.group(0))
        if is_cjk(folded[:1]):
            for piece in cjk:
                at = folded.find(piece)
                while at >= 0:
                    ranges.append((word.start() + at, word.start() + at + len(piece)))
                    at = folded.find(piece, at + 1)
            continue
        if folded in exact or stem(folded) in stems or any(folded.startswith(p) for p in prefixes):
            ranges.append((word.start(), word.end()))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
