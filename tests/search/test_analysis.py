"""Text analysis: jieba words with the catalogue as user dictionary, CJK fallbacks, Snowball stems."""

from __future__ import annotations

from registry.search.analysis import MAX_QUERY_TERMS, Analyzer, QueryTerm, vocabulary_words

CATALOGUE_NAMES = ["数学", "分数的初步认识", "几分之一", "数学广角——集合", "1～5的认识和加减法", "上、下、前、后", "认识图形（一）"]


def test_the_vocabulary_is_every_all_chinese_phrase_of_the_catalogue_names() -> None:
    assert vocabulary_words(CATALOGUE_NAMES) == sorted(["数学", "分数的初步认识", "几分之一", "数学广角", "集合", "认识图形"])


def test_the_user_dictionary_makes_knowledge_points_words() -> None:
    plain, education = Analyzer(), Analyzer(vocabulary_words(CATALOGUE_NAMES))
    assert [t.word for t in plain.query_terms("几分之一")] == ["几分", "之一"], "jieba alone does not know the term"
    assert education.query_terms("几分之一") == [QueryTerm("几分之一", ("几分", "分之", "之一"))]
    words = education.field_terms("分数的初步认识——几分之一").words
    assert {"分数的初步认识", "几分之一", "分数", "认识"} <= set(words), "search mode: the whole word and its parts"


def test_documents_keep_every_character_and_bigram() -> None:
    grams = Analyzer().field_terms("认识分数").grams
    assert grams == ["认", "识", "分", "数", "认识", "识分", "分数"]


def test_query_words_match_by_their_bigrams_and_stop_words_drop() -> None:
    analyzer = Analyzer()
    assert [t.word for t in analyzer.query_terms("分数的认识")] == ["分数", "认识"]
    assert analyzer.query_terms("钟") == [QueryTerm("钟", ("钟",))]
    assert [t.word for t in analyzer.query_terms("的")] == ["的"], "a query of stop words only keeps them"


def test_english_uses_the_snowball_stemmer() -> None:
    analyzer = Analyzer()
    assert [t.word for t in analyzer.query_terms("Ｆｒａｃｔｉｏｎｓ of the WHOLE")] == ["fraction", "whole"]
    # Snowball, not suffix stripping: both forms of each pair meet
    for a, b in (("running", "run"), ("studies", "studying"), ("animals", "animal"), ("happiness", "happy"), ("colouring", "colours")):
        assert analyzer.query_terms(a)[0].word == analyzer.query_terms(b)[0].word, (a, b)
    assert analyzer.field_terms("Unit 2 Colours").words == ["unit", "2", "colour"]


def test_what_cannot_be_a_word_gives_no_terms() -> None:
    analyzer = Analyzer()
    for text in ("", "   ", "！！？。", "😀🎉", '"*:()', "—— ……"):
        assert analyzer.query_terms(text) == [], text


def test_operator_characters_are_plain_text() -> None:
    terms = [t.word for t in Analyzer().query_terms('"分数" NEAR OR colours* :title')]
    assert terms == ["分数", "near", "colour", "titl"], "OR is a stop word; nothing is an operator"


def test_long_queries_are_cut_to_a_bounded_number_of_terms() -> None:
    analyzer = Analyzer()
    terms = analyzer.query_terms("分数乘法除法加法减法比例圆柱圆锥方程函数几何统计概率向量复数数列" * 300)
    assert 0 < len(terms) <= MAX_QUERY_TERMS
    assert len(analyzer.query_terms(" ".join(f"word{i}" for i in range(1000)))) == MAX_QUERY_TERMS


def test_an_unfinished_english_word_is_recognised_for_suggestions() -> None:
    analyzer = Analyzer()
    assert analyzer.unfinished_word("Unit 2 colo") == "colo"
    assert analyzer.unfinished_word("colours ") is None
    assert analyzer.unfinished_word("分数") is None
