"""Quality of results: realistic queries over resources of the sample catalogue, and the resource
that must come first for each (written from the catalogue, as a teacher would search)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from registry.core import migrations
from registry.core.db import make_engine, session_factory
from registry.crud import catalogue as catalogue_crud
from registry.search import SearchService
from tests.utils.search import NewVersion, seed_versions

M1, M1B, M3, E3 = "primary.math.g1.pep.vol1", "primary.math.g1.pep.vol2", "primary.math.g3.pep.vol1", "primary.english.g3.pep.vol1"

# (title, node, description, keywords, resource type)
LIBRARY: list[tuple[str, str, str, list[str], str]] = [
    (
        "《数一数》教学设计",
        f"{M1}.c1.s1",
        "准备课第一课时：数出校园里10以内物体的个数，体会数学就在身边。",
        ["数一数", "准备课"],
        "教学设计",
    ),
    ("比多少 课件", f"{M1}.c1.s2", "用一一对应的方法比较两组物体的多少，认识同样多、多些、少些。", ["比多少", "一一对应"], "课件"),
    ("位置：上、下、前、后 微课", f"{M1}.c2.s1", "结合教室场景辨认上下前后的位置关系。", ["位置", "方位"], "微课"),
    ("左、右 学习任务单", f"{M1}.c2.s2", "举起右手、伸出左手，在游戏中分清左右。", ["左右", "位置"], "学习任务单"),
    ("1～5的认识 教学设计", f"{M1}.c3.s1", "借助主题图数出1～5各数，会读会写。", ["1～5", "认数"], "教学设计"),
    (
        "比大小（认识>、<、=） 课件",
        f"{M1}.c3.s2",
        "认识大于号、小于号和等于号，会用符号表示数的大小。",
        ["比大小", "大于号", "小于号"],
        "课件",
    ),
    ("第几 作业练习", f"{M1}.c3.s3", "区分几个和第几个，用序数描述排队的位置。", ["第几", "序数"], "作业练习"),
    ("分与合 微课", f"{M1}.c3.s4", "用小棒摆一摆，掌握5以内各数的分与合。", ["分与合", "数的组成"], "微课"),
    ("5以内的加法 教学设计", f"{M1}.c3.s5", "理解加法的含义，会计算5以内的加法。", ["加法"], "教学设计"),
    ("5以内的减法 课堂练习", f"{M1}.c3.s6", "看图列减法算式，巩固5以内的减法。", ["减法"], "作业练习"),
    (
        "认识图形（一）：长方体、正方体、圆柱和球 课件",
        f"{M1}.c4",
        "通过摸一摸、搭一搭认识立体图形。",
        ["立体图形", "长方体", "正方体", "圆柱", "球"],
        "课件",
    ),
    ("6和7的认识 教学设计", f"{M1}.c5.s1", "数一数、比一比，认识6和7，知道它们的顺序。", ["6和7"], "教学设计"),
    ("连加 连减 微课", f"{M1}.c5.s4", "从左往右按顺序计算连加、连减。", ["连加", "连减"], "微课"),
    ("加减混合 学习任务单", f"{M1}.c5.s5", "结合情境图理解加减混合运算的顺序。", ["加减混合"], "学习任务单"),
    ("11～20各数的认识 教学设计", f"{M1}.c6", "用计数器认识个位和十位，理解10个一是1个十。", ["数位", "个位", "十位"], "教学设计"),
    ("认识钟表（整时）教学设计", f"{M1}.c7", "认识钟面上的时针和分针，会读整时和大约几时。", ["钟表", "整时", "时针", "分针"], "教学设计"),
    ("认识钟表 课堂练习", f"{M1}.c7", "读一读、拨一拨、画一画，练习认读时间。", ["钟表"], "作业练习"),
    ("9加几（凑十法）课件", f"{M1}.c8.s1", "通过摆小棒体会凑十法，会计算9加几的进位加法。", ["凑十法", "进位加法"], "课件"),
    ("8、7、6加几 作业练习", f"{M1}.c8.s2", "用凑十法计算8、7、6加几，分层练习。", ["凑十法"], "作业练习"),
    ("一年级上册期末总复习 试卷", f"{M1}.c9", "覆盖全册知识点的期末复习测试卷。", ["期末复习", "总复习"], "试卷"),
    (
        "认识图形（二）：平面图形 微课",
        f"{M1B}.c1",
        "从立体图形的面认识长方形、正方形、三角形、圆和平行四边形。",
        ["平面图形", "长方形", "三角形", "圆"],
        "微课",
    ),
    ("十几减9（破十法）教学设计", f"{M1B}.c2.s1", "用破十法和想加算减法计算十几减9的退位减法。", ["破十法", "退位减法"], "教学设计"),
    ("分类与整理 课例", f"{M1B}.c3", "按一定标准分类，用简单的统计表整理数据。", ["分类", "统计表"], "课例"),
    ("数数 数的组成 课件", f"{M1B}.c4.s1", "数出100以内的数，理解几个十和几个一组成的数。", ["数的组成", "100以内数"], "课件"),
    ("整十数加一位数及相应的减法 课堂练习", f"{M1B}.c4.s4", "口算整十数加一位数和相应的减法。", ["口算"], "作业练习"),
    (
        "认识人民币（元、角、分）教学设计",
        f"{M1B}.c5.s1",
        "认识各种面值的人民币，知道1元=10角，1角=10分。",
        ["人民币", "元角分"],
        "教学设计",
    ),
    ("人民币的简单计算 学习任务单", f"{M1B}.c5.s2", "在购物情境中计算付钱和找零。", ["购物", "人民币"], "学习任务单"),
    ("人民币的故事 素材", f"{M1B}.c5", "人民币的历史与防伪知识，数学文化阅读材料。", ["数学文化"], "素材"),
    ("两位数加一位数、整十数 微课", f"{M1B}.c6.s2", "用小棒和计数器理解两位数加一位数的算理。", ["口算加法"], "微课"),
    ("找规律 课例", f"{M1B}.c7", "发现图形和颜色的排列规律，并创造规律。", ["找规律", "排列"], "课例"),
    ("时、分、秒：秒的认识 教学设计", f"{M3}.c1", "认识时间单位秒，体验1秒有多长。", ["秒", "时间单位"], "教学设计"),
    ("万以内的加法和减法（一）：两位数加两位数口算 课件", f"{M3}.c2", "口算两位数加两位数。", ["口算"], "课件"),
    ("毫米、分米的认识 微课", f"{M3}.c3.s1", "用直尺量一量，认识长度单位毫米和分米。", ["长度单位", "毫米", "分米"], "微课"),
    ("千米的认识 教学设计", f"{M3}.c3.s2", "走一走400米跑道，建立1千米的长度观念。", ["千米", "长度单位"], "教学设计"),
    ("吨的认识 作业练习", f"{M3}.c3.s3", "认识质量单位吨，知道1吨=1000千克。", ["质量单位"], "作业练习"),
    ("三位数加三位数（连续进位加法）课件", f"{M3}.c4.s1", "笔算三位数加三位数，处理连续进位。", ["笔算加法", "进位"], "课件"),
    ("倍的认识 教学设计", f"{M3}.c5", "通过摆小棒理解一个数是另一个数的几倍。", ["倍", "几倍"], "教学设计"),
    ("多位数乘一位数：口算乘法 微课", f"{M3}.c6.s1", "整十、整百数乘一位数的口算。", ["口算乘法"], "微课"),
    ("笔算乘法（不进位）学习任务单", f"{M3}.c6.s2", "两位数乘一位数不进位的笔算。", ["笔算乘法"], "学习任务单"),
    ("四边形的认识 课件", f"{M3}.c7.s1", "认识四边形的特征，会辨认长方形和正方形。", ["四边形"], "课件"),
    (
        "长方形和正方形的周长 教学设计",
        f"{M3}.c7.s2",
        "理解周长的含义，会计算长方形和正方形的周长。",
        ["周长", "长方形", "正方形"],
        "教学设计",
    ),
    ("长方形和正方形 单元复习", f"{M3}.c7", "梳理长方形和正方形的特征。", ["单元复习"], "作业练习"),
    ("分数的初步认识——几分之一 教学设计", f"{M3}.c8.s1", "通过分月饼的情境，认识几分之一，会读写分数。", ["分数", "几分之一"], "教学设计"),
    ("几分之几 课件", f"{M3}.c8.s2", "在认识几分之一的基础上认识几分之几。", ["分数", "几分之几"], "课件"),
    ("同分母分数的简单加减法 微课", f"{M3}.c8.s3", "借助图形计算同分母分数加减。", ["分数的简单计算", "同分母分数"], "微课"),
    ("分数的简单应用：求一个数的几分之一是多少 作业练习", f"{M3}.c8.s4", "用分数解决简单的实际问题。", ["分数的简单应用"], "作业练习"),
    ("分数的故事 素材", f"{M3}.c8", "古埃及人怎样表示分数：数学文化阅读。", ["分数", "数学文化"], "素材"),
    ("数学广角——集合：韦恩图 课例", f"{M3}.c9", "用韦恩图解决两个兴趣小组都参加的重叠问题。", ["集合", "韦恩图"], "课例"),
    ("三年级上册期末总复习 试卷", f"{M3}.c10", "测量、乘法、分数等全册知识的复习。", ["期末复习"], "试卷"),
    (
        "Unit 1 Hello! Let's talk 教学设计",
        f"{E3}.u1",
        "Greetings: Hello, I'm Sarah. Goodbye! Pupils greet each other.",
        ["greetings", "hello"],
        "教学设计",
    ),
    (
        "Unit 2 Colours: Let's learn colour words 课件",
        f"{E3}.u2",
        "Pupils learn red, yellow, green and blue with crayons.",
        ["colours"],
        "课件",
    ),
    (
        "Unit 3 Look at me! Body parts chant 音频",
        f"{E3}.u3",
        "A chant about the face, ear, eye, nose and mouth.",
        ["body parts", "chant"],
        "音频",
    ),
    (
        "Unit 4 We love animals: animal sounds 微课",
        f"{E3}.u4",
        "Pupils name the duck, pig, cat, bear, dog and elephant.",
        ["animals"],
        "微课",
    ),
    (
        "Unit 5 Let's eat! Food and drink 学习任务单",
        f"{E3}.u5",
        "I'd like some bread and milk. Have some juice, please.",
        ["food", "drink"],
        "学习任务单",
    ),
    (
        "Unit 6 Happy birthday! Numbers one to ten 课件",
        f"{E3}.u6",
        "How old are you? Counting from one to ten with a birthday cake.",
        ["numbers", "birthday"],
        "课件",
    ),
]

# (query, the title that must come first)
EXPECTED: list[tuple[str, str]] = [
    ("几分之一", "分数的初步认识——几分之一 教学设计"),
    ("分数的初步认识", "分数的初步认识——几分之一 教学设计"),
    ("几分之几", "几分之几 课件"),
    ("同分母分数加减", "同分母分数的简单加减法 微课"),
    ("分数 数学文化", "分数的故事 素材"),
    ("认识钟面 整时", "认识钟表（整时）教学设计"),
    ("凑十法", "9加几（凑十法）课件"),
    ("破十法", "十几减9（破十法）教学设计"),
    ("退位减法", "十几减9（破十法）教学设计"),
    ("人民币 元角分", "认识人民币（元、角、分）教学设计"),
    ("购物 找零", "人民币的简单计算 学习任务单"),
    ("周长", "长方形和正方形的周长 教学设计"),
    ("倍的认识", "倍的认识 教学设计"),
    ("韦恩图", "数学广角——集合：韦恩图 课例"),
    ("集合", "数学广角——集合：韦恩图 课例"),
    ("吨", "吨的认识 作业练习"),
    ("千米", "千米的认识 教学设计"),
    ("毫米 分米", "毫米、分米的认识 微课"),
    ("秒的认识", "时、分、秒：秒的认识 教学设计"),
    ("口算乘法", "多位数乘一位数：口算乘法 微课"),
    ("四边形", "四边形的认识 课件"),
    ("连续进位", "三位数加三位数（连续进位加法）课件"),
    ("找规律", "找规律 课例"),
    ("分类与整理", "分类与整理 课例"),
    ("平面图形", "认识图形（二）：平面图形 微课"),
    ("长方体 正方体", "认识图形（一）：长方体、正方体、圆柱和球 课件"),
    ("左右", "左、右 学习任务单"),
    ("比多少", "比多少 课件"),
    ("大于号", "比大小（认识>、<、=） 课件"),
    ("分与合", "分与合 微课"),
    ("数的组成", "数数 数的组成 课件"),
    ("序数", "第几 作业练习"),
    ("一年级 期末复习", "一年级上册期末总复习 试卷"),
    ("整十数加一位数", "整十数加一位数及相应的减法 课堂练习"),
    ("colours", "Unit 2 Colours: Let's learn colour words 课件"),
    ("animal", "Unit 4 We love animals: animal sounds 微课"),
    ("birthday numbers", "Unit 6 Happy birthday! Numbers one to ten 课件"),
    ("greetings", "Unit 1 Hello! Let's talk 教学设计"),
    ("body parts chant", "Unit 3 Look at me! Body parts chant 音频"),
    ("food and drink", "Unit 5 Let's eat! Food and drink 学习任务单"),
]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    directory: Path = tmp_path_factory.mktemp("quality")
    engine = make_engine(f"sqlite:///{directory / 'registry.sqlite3'}")
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    start = datetime(2025, 9, 1, tzinfo=UTC)
    with sessions() as session:
        catalogue_crud.load_catalogue(session=session, data=catalogue_crud.read_catalogue_file(catalogue_crud.SAMPLE_CATALOGUE))
        seed_versions(
            session,
            [
                NewVersion(title, node, description, keywords, rtype, accepted_at=start + timedelta(days=i))
                for i, (title, node, description, keywords, rtype) in enumerate(LIBRARY)
            ],
        )
        session.commit()
    service = SearchService(directory / "search", sessions)
    service.open()
    yield service
    service.close()
    engine.dispose()


def test_the_fixed_set_is_large_and_every_expected_title_exists() -> None:
    assert len(EXPECTED) >= 30
    titles = {title for title, *_ in LIBRARY}
    assert {title for _, title in EXPECTED} <= titles


@pytest.mark.parametrize(("query", "first"), EXPECTED, ids=[query for query, _ in EXPECTED])
def test_the_expected_resource_comes_first(library: SearchService, query: str, first: str) -> None:
    found = library.search(text=query, filters={}, nodes=(), offset=0, limit=5)
    titles = [hit.title for hit, _ in found.items]
    assert titles and titles[0] == first, f"{query!r}: {titles}"
