"""Text analysis: Chinese words (jieba) with character fallbacks, English Snowball stems.

A text is normalised (NFKC, case-folded) and cut into runs: CJK runs and ASCII letter/digit runs.
Each field of a document is indexed twice:

* ``words``: jieba's search-mode words of every CJK run (the catalogue's education vocabulary
  loaded as a user dictionary, so 分数的初步认识 and 几分之一 are words), English words by their
  Snowball stem, numbers as they are;
* ``grams``: every single CJK character and every CJK bigram.

A query is cut with jieba's precise mode. Each query word must match: a CJK word by all of its
bigrams (or its one character) in the grams, so a document whose text jieba cut differently is
still found; an English word or a number by itself in the words. Matching words score besides, so
a document holding the whole word ranks above one holding its characters apart. Stop words
(的, 和, the, of …) are dropped from queries unless nothing else is left.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import rjieba
import Stemmer

__all__ = ["MAX_QUERY_TERMS", "Analyzer", "FieldTerms", "QueryTerm", "normalise", "vocabulary_words"]

MAX_QUERY_TERMS = 32  # words of a query that count; a pasted paragraph does not become 300 clauses
_MAX_TOKEN = 64
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
_PHRASES = re.compile(r"[^\w]+|_")  # what separates the phrases of a catalogue name
_ENGLISH_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "in", "is", "it", "of", "on", "or", "the", "to", "with"}
)
_CHINESE_STOPWORDS = frozenset(
    {
        "的",
        "地",
        "得",
        "了",
        "和",
        "与",
        "及",
        "或",
        "之",
        "在",
        "是",
        "等",
        "中",
        "对",
        "把",
        "被",
        "从",
        "以",
        "为",
        "也",
        "都",
        "而",
        "且",
        "并",
    }
)


def normalise(text: str) -> str:
    """Full-width forms folded (ＡＢＣ → abc), case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _is_cjk(run: str) -> bool:
    return not run[0].isascii()


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def vocabulary_words(names: Iterable[str]) -> list[str]:
    """User-dictionary words from catalogue names: each all-CJK phrase of 2–16 characters.

    ``分数的初步认识`` and ``数学广角——集合`` give 分数的初步认识, 数学广角 and 集合; a phrase with
    digits or Latin letters (``1～5的认识``) gives nothing, since only CJK runs reach jieba.
    """
    words: set[str] = set()
    for name in names:
        for phrase in _PHRASES.split(normalise(name)):
            if 2 <= len(phrase) <= 16 and _CJK_RUN.match(phrase):
                words.add(phrase)
    return sorted(words)


@dataclass(frozen=True)
class FieldTerms:
    """What one field of a document is indexed by."""

    words: list[str]
    grams: list[str]


@dataclass(frozen=True)
class QueryTerm:
    """One query word: ``word`` scores in the words fields; a CJK word matches by all of ``grams``,
    any other word (``grams`` empty) by ``word`` itself."""

    word: str
    grams: tuple[str, ...]


class Analyzer:
    """Cuts documents and queries the same way. Immutable once built: a new vocabulary means a new
    analyzer (the segmenter is shared by request threads, so it is never changed in place)."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self._jieba = rjieba.Jieba()
        self.vocabulary = tuple(sorted(set(vocabulary)))
        for word in self.vocabulary:
            self._jieba.add_word(word, None, None)
        self._stemmer = Stemmer.Stemmer("english")

    def _english(self, run: str) -> str:
        return str(self._stemmer.stemWord(run))[:_MAX_TOKEN] if not run.isdigit() else run[:_MAX_TOKEN]

    def field_terms(self, text: str) -> FieldTerms:
        words: list[str] = []
        grams: list[str] = []
        for run in _RUNS.findall(normalise(text)):
            if _is_cjk(run):
                words.extend(self._jieba.cut_for_search(run, True))
                grams.extend(run)
                grams.extend(run[i : i + 2] for i in range(len(run) - 1))
            elif run not in _ENGLISH_STOPWORDS:
                words.append(self._english(run))
        return FieldTerms(words=words, grams=grams)

    def query_terms(self, text: str) -> list[QueryTerm]:
        """The words a query must match, in order, without repeats; at most :data:`MAX_QUERY_TERMS`."""
        terms: list[QueryTerm] = []
        stop: list[QueryTerm] = []
        for run in _RUNS.findall(normalise(text)):
            if _is_cjk(run):
                for word in self._jieba.cut(run, True):
                    term = QueryTerm(word=word, grams=tuple(_bigrams(word)))
                    (stop if word in _CHINESE_STOPWORDS else terms).append(term)
            else:
                term = QueryTerm(word=self._english(run), grams=())
                (stop if run in _ENGLISH_STOPWORDS else terms).append(term)
        return list(dict.fromkeys(terms or stop))[:MAX_QUERY_TERMS]

    def stem(self, word: str) -> str:
        return self._english(normalise(word))

    def unfinished_word(self, text: str) -> str | None:
        """The English word or number a text being typed ends in (no space after it yet), if any."""
        normal = normalise(text)
        runs: list[str] = _RUNS.findall(normal)
        if not runs or _is_cjk(runs[-1]) or not normal.endswith(runs[-1]):
            return None
        return runs[-1][:_MAX_TOKEN]
