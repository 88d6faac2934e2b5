"""Message search: the one tokenizer both stores index with, so SQLite and PostgreSQL find the same.

Chinese and Japanese are written without spaces, so words cannot be told apart by a tokenizer that
splits on them. A run of such characters is indexed as its single characters and its overlapping
pairs (bigrams): a query of one character matches the character, a longer one matches all of its
pairs. Other scripts are indexed by word. Everything is case-folded and stripped of accents (NFKD),
and each message's tokens are stored once each, space-separated (``message_tokens.tokens``):
SQLite's FTS5 and PostgreSQL's ``array_to_tsvector`` index that string without tokenizing it again.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY = 100  # characters
MAX_TERMS = 16
# Han, Hiragana, Katakana, Hangul syllables and jamo, CJK symbols' neighbours: scripts without spaces
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUN = re.compile(f"[{_CJK}]+|[^\\W{_CJK}]+")  # a run of CJK characters, or a word of anything else
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(r"\w+", re.ASCII)


def _fold(text: str) -> str:
    if text.isascii():  # most messages: nothing to decompose, and casefold() is lower() here
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _is_cjk(run: str) -> bool:
    return _CJK_CHAR.match(run) is not None


def tokens(text: str) -> str:
    """A message's tokens, each once, space-separated. (Every message sent is tokenized on the
    writer's thread, inside its transaction: this is on the hot path of a send.)"""
    folded = _fold(text)
    if folded.isascii():
        # a longer "word" is not something one types to find
        return " ".join(dict.fromkeys(word[:64] for word in _WORD.findall(folded)))
    found: dict[str, None] = {}
    for run in _RUN.findall(folded):
        if _is_cjk(run):
            found.update(dict.fromkeys(run))
            found.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
        else:
            found[run[:64]] = None
    return " ".join(found)


def terms(query: str) -> list[tuple[str, bool]]:
    """What a query asks for: (token, prefix) pairs, all of which must match. The last word (not a
    CJK run) is a prefix, so that results come as one types."""
    found: list[tuple[str, bool]] = []
    runs = _RUN.findall(_fold(query))
    for n, run in enumerate(runs):
        if _is_cjk(run):
            pairs = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            found += [(p, False) for p in pairs]
        else:
            found.append((run[:64], n == len(runs) - 1 and not query[-1:].isspace()))
    unique = list(dict.fromkeys(found))
    return unique[:MAX_TERMS]


def fts5_query(wanted: list[tuple[str, bool]]) -> str:
    """SQLite FTS5 MATCH syntax: every term quoted (tokens never hold a quote), prefixes starred."""
    return " ".join(f'"{token}"' + ("*" if prefix else "") for token, prefix in wanted)


def tsquery(wanted: list[tuple[str, bool]]) -> str:
    """PostgreSQL tsquery syntax, for a ``::tsquery`` cast (lexemes quoted, used as they are)."""
    return " & ".join(f"'{token}'" + (":*" if prefix else "") for token, prefix in wanted)
