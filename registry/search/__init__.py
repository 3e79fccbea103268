"""Finding resources: Chinese word segmentation, an embedded index kept in step with the database.

``analysis`` cuts text (jieba words with the catalogue as user dictionary, CJK character and
bigram fallbacks, Snowball stems); ``index`` is the interface an engine implements;
``tantivy_index`` the embedded engine; ``service`` keeps the index in step with the database
and answers queries and suggestions.
"""

from __future__ import annotations

from .analysis import Analyzer, FieldTerms, QueryTerm, vocabulary_words
from .index import FACETS, SearchDocument, SearchHits, SearchIndex, SearchQuery
from .service import SearchPage, SearchService, Suggestion
from .tantivy_index import MAX_RESULT_WINDOW, IndexUnavailableError, TantivyIndex

__all__ = [
    "Analyzer",
    "FACETS",
    "FieldTerms",
    "IndexUnavailableError",
    "MAX_RESULT_WINDOW",
    "QueryTerm",
    "SearchDocument",
    "SearchHits",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
    "SearchService",
    "Suggestion",
    "TantivyIndex",
    "vocabulary_words",
]
