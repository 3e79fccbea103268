"""A city-scale catalogue and realistic resources for the search benchmarks, from word lists.

The catalogue covers 小学 / 初中 / 高中, their subjects, grades, two or three textbook editions,
上册 / 下册 and chapters with lessons named after real textbook contents (数学 from 人教版,
语文 texts, PEP English units …). Resources are generated over that catalogue: titles in the
forms teachers give them (《几分之一》教学设计, 分数的初步认识——几分之一（第1课时）, 人教版三年级数学上册
《周长》课件 …), keywords from the catalogue and a list of teaching terms, two to four sentences of
description. A fixed seed makes every run the same corpus.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["Resource", "city_catalogue", "leaf_nodes", "resources"]

# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------

MATH = [
    "准备课",
    "位置",
    "1～5的认识和加减法",
    "认识图形",
    "6～10的认识和加减法",
    "11～20各数的认识",
    "认识钟表",
    "20以内的进位加法",
    "20以内的退位减法",
    "分类与整理",
    "100以内数的认识",
    "认识人民币",
    "100以内的加法和减法",
    "找规律",
    "长度单位",
    "角的初步认识",
    "表内乘法",
    "观察物体",
    "数学广角——搭配",
    "表内除法",
    "图形的运动",
    "混合运算",
    "有余数的除法",
    "万以内数的认识",
    "克和千克",
    "时、分、秒",
    "万以内的加法和减法",
    "测量",
    "倍的认识",
    "多位数乘一位数",
    "长方形和正方形",
    "分数的初步认识",
    "数学广角——集合",
    "位置与方向",
    "除数是一位数的除法",
    "复式统计表",
    "两位数乘两位数",
    "面积",
    "年、月、日",
    "小数的初步认识",
    "大数的认识",
    "公顷和平方千米",
    "角的度量",
    "三位数乘两位数",
    "平行四边形和梯形",
    "除数是两位数的除法",
    "条形统计图",
    "四则运算",
    "运算定律",
    "小数的意义和性质",
    "三角形",
    "小数的加法和减法",
    "平均数与条形统计图",
    "小数乘法",
    "小数除法",
    "简易方程",
    "多边形的面积",
    "植树问题",
    "因数与倍数",
    "长方体和正方体",
    "分数的意义和性质",
    "分数的加法和减法",
    "折线统计图",
    "分数乘法",
    "分数除法",
    "比",
    "圆",
    "百分数",
    "扇形统计图",
    "负数",
    "圆柱与圆锥",
    "比例",
    "鸽巢问题",
    "有理数",
    "整式的加减",
    "一元一次方程",
    "几何图形初步",
    "相交线与平行线",
    "实数",
    "平面直角坐标系",
    "二元一次方程组",
    "不等式与不等式组",
    "全等三角形",
    "轴对称",
    "整式的乘法与因式分解",
    "分式",
    "二次根式",
    "勾股定理",
    "平行四边形",
    "一次函数",
    "数据的分析",
    "一元二次方程",
    "二次函数",
    "旋转",
    "概率初步",
    "反比例函数",
    "相似",
    "锐角三角函数",
    "投影与视图",
    "集合与常用逻辑用语",
    "函数的概念与性质",
    "指数函数与对数函数",
    "三角函数",
    "平面向量及其应用",
    "复数",
    "立体几何初步",
    "统计",
    "概率",
    "数列",
    "导数及其应用",
    "空间向量与立体几何",
    "直线和圆的方程",
    "圆锥曲线的方程",
    "计数原理",
]
MATH_LESSONS = {
    "分数的初步认识": ["几分之一", "几分之几", "分数的简单计算", "分数的简单应用"],
    "长方形和正方形": ["四边形", "周长", "长方形和正方形的周长"],
    "认识人民币": ["认识人民币", "简单的计算"],
    "测量": ["毫米、分米的认识", "千米的认识", "吨的认识"],
    "多位数乘一位数": ["口算乘法", "笔算乘法"],
    "20以内的进位加法": ["9加几", "8、7、6加几", "5、4、3、2加几"],
    "小数的意义和性质": ["小数的意义", "小数的性质", "小数的大小比较", "小数点移动引起小数大小的变化"],
    "分数的意义和性质": ["分数的意义", "真分数和假分数", "分数的基本性质", "约分", "通分"],
    "一元一次方程": ["从算式到方程", "解一元一次方程——合并同类项与移项", "实际问题与一元一次方程"],
    "勾股定理": ["勾股定理", "勾股定理的逆定理"],
    "二次函数": ["二次函数的图象和性质", "二次函数与一元二次方程", "实际问题与二次函数"],
    "圆": ["圆的认识", "圆的周长", "圆的面积", "扇形"],
    "百分数": ["百分数的意义和写法", "百分数和分数、小数的互化", "用百分数解决问题"],
    "三角函数": ["任意角和弧度制", "三角函数的概念", "诱导公式", "三角函数的图象与性质"],
}
CHINESE = [
    "秋天",
    "小小的船",
    "江南",
    "四季",
    "画",
    "大小多少",
    "小书包",
    "日月明",
    "升国旗",
    "影子",
    "比尾巴",
    "青蛙写诗",
    "雨点儿",
    "乌鸦喝水",
    "小蜗牛",
    "古诗二首",
    "春夏秋冬",
    "姓氏歌",
    "小青蛙",
    "猜字谜",
    "吃水不忘挖井人",
    "我多想去看看",
    "四个太阳",
    "小公鸡和小鸭子",
    "树和喜鹊",
    "静夜思",
    "端午粽",
    "彩虹",
    "小猴子下山",
    "荷叶圆圆",
    "要下雨了",
    "棉花姑娘",
    "咕咚",
    "小壁虎借尾巴",
    "曹冲称象",
    "坐井观天",
    "寒号鸟",
    "我要的是葫芦",
    "雾在哪里",
    "雪孩子",
    "狐假虎威",
    "纸船和风筝",
    "大禹治水",
    "朱德的扁担",
    "难忘的泼水节",
    "找春天",
    "开满鲜花的小路",
    "千人糕",
    "小马过河",
    "画杨桃",
    "亡羊补牢",
    "揠苗助长",
    "守株待兔",
    "司马光",
    "搭船的鸟",
    "金色的草地",
    "富饶的西沙群岛",
    "美丽的小兴安岭",
    "海滨小城",
    "观潮",
    "爬山虎的脚",
    "蟋蟀的住宅",
    "精卫填海",
    "普罗米修斯",
    "女娲补天",
    "麻雀",
    "牛和鹅",
    "一个豆荚里的五粒豆",
    "白鹭",
    "落花生",
    "桂花雨",
    "圆明园的毁灭",
    "将相和",
    "草船借箭",
    "景阳冈",
    "猴王出世",
    "红楼春趣",
    "少年闰土",
    "匆匆",
    "北京的春节",
    "腊八粥",
    "狼牙山五壮士",
    "开国大典",
    "灯光",
    "桃花源记",
    "岳阳楼记",
    "醉翁亭记",
    "背影",
    "春",
    "济南的冬天",
    "从百草园到三味书屋",
    "孔乙己",
    "故乡",
    "藤野先生",
    "沁园春·雪",
    "出师表",
    "送东阳马生序",
    "愚公移山",
    "赤壁赋",
    "劝学",
    "师说",
    "荷塘月色",
    "故都的秋",
    "拿来主义",
    "祝福",
    "林黛玉进贾府",
    "雷雨",
    "阿房宫赋",
    "兰亭集序",
]
ENGLISH = [
    "Hello!",
    "Colours",
    "Look at me!",
    "We love animals",
    "Let's eat!",
    "Happy birthday!",
    "Welcome back to school",
    "My family",
    "At the zoo",
    "Where is my car?",
    "Do you like pears?",
    "How many?",
    "My classroom",
    "My schoolbag",
    "My friends",
    "My home",
    "Dinner's ready",
    "Meet my family!",
    "My school",
    "What time is it?",
    "Weather",
    "At the farm",
    "Clothes",
    "Shopping",
    "What's he like?",
    "My week",
    "I'm hungry and thirsty",
    "Work quietly!",
    "My favourite season",
    "Whose dog is it?",
    "How do you go there?",
    "Where is the science museum?",
    "My weekend plan",
    "How do you feel?",
    "How tall are you?",
    "Last weekend",
    "A trip to the zoo",
    "Sports and health",
    "Festivals around the world",
    "Protecting the environment",
    "Healthy food",
    "Travel and transport",
    "Friendship",
    "Amazing animals",
    "The Earth",
]
SCIENCE = [
    "植物",
    "动物",
    "我们的材料",
    "水",
    "空气",
    "天气",
    "声音",
    "溶解",
    "运动和力",
    "电",
    "岩石与土壤",
    "生物与环境",
    "光",
    "地球表面的变化",
    "热",
    "环境和我们",
    "工具和机械",
    "形状与结构",
    "宇宙",
    "物质的变化",
    "生物的多样性",
    "能量",
]
PHYSICS = [
    "机械运动",
    "声现象",
    "物态变化",
    "光现象",
    "透镜及其应用",
    "质量与密度",
    "力",
    "运动和力",
    "压强",
    "浮力",
    "功和机械能",
    "简单机械",
    "内能",
    "内能的利用",
    "电流和电路",
    "电压 电阻",
    "欧姆定律",
    "电功率",
    "生活用电",
    "电与磁",
    "信息的传递",
    "能源与可持续发展",
    "运动的描述",
    "匀变速直线运动的研究",
    "相互作用——力",
    "运动和力的关系",
    "曲线运动",
    "万有引力与宇宙航行",
    "机械能守恒定律",
    "静电场及其应用",
    "电路及其应用",
    "电磁感应",
]
CHEMISTRY = [
    "走进化学世界",
    "我们周围的空气",
    "物质构成的奥秘",
    "自然界的水",
    "化学方程式",
    "碳和碳的氧化物",
    "燃料及其利用",
    "金属和金属材料",
    "溶液",
    "酸和碱",
    "盐 化肥",
    "化学与生活",
    "物质及其变化",
    "海水中的重要元素——钠和氯",
    "物质结构 元素周期律",
    "化学反应与能量",
    "有机化合物",
    "化学反应速率与化学平衡",
]
BIOLOGY = [
    "生物和生物圈",
    "生物体的结构层次",
    "生物圈中的绿色植物",
    "光合作用",
    "呼吸作用",
    "人体的营养",
    "人体的呼吸",
    "人体内物质的运输",
    "人体内废物的排出",
    "人体生命活动的调节",
    "动物的运动和行为",
    "细菌和真菌",
    "生物的遗传和变异",
    "生物的进化",
    "传染病和免疫",
    "细胞的分子组成",
    "细胞的基本结构",
    "细胞的能量供应和利用",
    "遗传因子的发现",
    "基因的本质",
]
HISTORY = [
    "中国境内早期人类的代表——北京人",
    "原始农耕生活",
    "夏商周时期",
    "百家争鸣",
    "秦统一中国",
    "西汉建立和文景之治",
    "三国鼎立",
    "隋朝的统一与灭亡",
    "贞观之治",
    "宋朝的科技",
    "郑和下西洋",
    "鸦片战争",
    "辛亥革命",
    "五四运动",
    "中国共产党诞生",
    "抗日战争",
    "中华人民共和国成立",
    "改革开放",
    "古代埃及",
    "文艺复兴运动",
    "工业革命",
]
GEOGRAPHY = [
    "地球和地球仪",
    "地图的阅读",
    "地球的运动",
    "陆地和海洋",
    "天气与气候",
    "居民与聚落",
    "亚洲",
    "日本",
    "东南亚",
    "印度",
    "俄罗斯",
    "中国的疆域",
    "中国的地形和地势",
    "中国的气候",
    "中国的河流",
    "自然资源",
    "交通运输",
    "北方地区",
    "南方地区",
    "青藏地区",
    "宇宙中的地球",
    "大气的组成和垂直分层",
    "水循环",
    "常见的地貌类型",
]
MORALS = [
    "开开心心上学去",
    "我们的好朋友",
    "家中的安全与健康",
    "我爱我们班",
    "我们的公共生活",
    "安全护我成长",
    "少让父母为我操心",
    "中学时代",
    "友谊的天空",
    "师长情谊",
    "生命的思考",
    "遵守社会规则",
    "勇担社会责任",
    "维护国家利益",
    "坚持宪法至上",
    "富强与创新",
    "民主与法治",
    "和谐与梦想",
]
ARTS = [
    "欢乐的节日",
    "美丽的大自然",
    "快乐的童年",
    "唱歌",
    "欣赏",
    "节奏与律动",
    "线条的魅力",
    "色彩的感受",
    "剪纸",
    "泥塑",
    "版画",
    "书法",
    "中国画",
    "民族民间音乐",
    "京剧",
]
PE = ["队列队形", "立定跳远", "跳绳", "前滚翻", "50米快速跑", "足球", "篮球", "排球", "武术", "广播体操", "耐久跑", "体育与健康常识"]
IT = ["信息与信息技术", "在线学习与生活", "数据与编码", "身边的算法", "过程与控制", "物联网实践与探索", "人工智能与智慧社会", "编程基础"]
POLITICS = ["中国特色社会主义", "经济与社会", "政治与法治", "哲学与文化", "当代国际政治与经济", "法律与生活", "逻辑与思维"]

SUBJECTS: dict[str, tuple[str, list[str]]] = {
    "chinese": ("语文", CHINESE),
    "math": ("数学", MATH),
    "english": ("英语", ENGLISH),
    "science": ("科学", SCIENCE),
    "physics": ("物理", PHYSICS),
    "chemistry": ("化学", CHEMISTRY),
    "biology": ("生物学", BIOLOGY),
    "history": ("历史", HISTORY),
    "geography": ("地理", GEOGRAPHY),
    "morals": ("道德与法治", MORALS),
    "music": ("音乐", ARTS),
    "art": ("美术", ARTS),
    "pe": ("体育与健康", PE),
    "it": ("信息科技", IT),
    "politics": ("思想政治", POLITICS),
}
STAGES = [
    (
        "primary",
        "小学",
        ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
        ["chinese", "math", "english", "science", "morals", "music", "art", "pe", "it"],
    ),
    (
        "junior",
        "初中",
        ["七年级", "八年级", "九年级"],
        ["chinese", "math", "english", "physics", "chemistry", "biology", "history", "geography", "morals", "it"],
    ),
    (
        "senior",
        "高中",
        ["高一", "高二", "高三"],
        ["chinese", "math", "english", "physics", "chemistry", "biology", "history", "geography", "politics"],
    ),
]
EDITIONS = {
    "chinese": [("tongbian", "统编版")],
    "morals": [("tongbian", "统编版")],
    "history": [("tongbian", "统编版")],
    "politics": [("tongbian", "统编版")],
    "english": [("pep", "人教版（PEP）"), ("wyb", "外研版"), ("yilin", "译林版")],
}
DEFAULT_EDITIONS = [("pep", "人教版"), ("bsd", "北师大版"), ("sj", "苏教版")]
RESOURCE_TYPES = [
    ("教学设计", 25),
    ("课件", 20),
    ("微课", 15),
    ("作业练习", 12),
    ("学习任务单", 10),
    ("课例", 8),
    ("试卷", 5),
    ("素材", 3),
    ("音频", 2),
]
LICENCES = [
    ("CC-BY-4.0", 40),
    ("CC-BY-NC-4.0", 25),
    ("CC-BY-NC-SA-4.0", 15),
    ("LicenseRef-EduLedger-Platform-Use", 12),
    ("CC-BY-SA-4.0", 5),
    ("CC0-1.0", 3),
]
SUFFIXES = [
    "课堂练习",
    "单元复习",
    "专项训练",
    "说课稿",
    "导学案",
    "教学反思",
    "公开课实录",
    "评课稿",
    "知识点梳理",
    "易错题解析",
    "分层作业",
    "预习单",
    "同步测试",
    "拓展阅读",
]
METHODS = [
    "情境教学",
    "小组合作",
    "探究学习",
    "项目式学习",
    "大单元教学",
    "跨学科学习",
    "分层作业",
    "核心素养",
    "信息技术融合",
    "深度学习",
    "问题导学",
    "游戏化教学",
    "思维导图",
    "双减",
]
ACTIVITIES = [
    "生活情境导入",
    "动手操作",
    "小组讨论",
    "实验探究",
    "角色扮演",
    "绘制思维导图",
    "观看微视频",
    "朗读品味",
    "画图分析",
    "游戏闯关",
    "交流分享",
    "实地观察",
]
GOALS = [
    "理解{kp}的含义",
    "掌握{kp}的基本方法",
    "体会{kp}与生活的联系",
    "形成初步的{subject}思维",
    "提高解决实际问题的能力",
    "发展语言表达能力",
    "培养合作意识和探究精神",
    "建立知识之间的联系",
    "积累学习经验",
]
ENGLISH_PARTS = ["Let's talk", "Let's learn", "Read and write", "Story time", "Let's spell", "Let's sing", "Project"]
ENGLISH_TYPES = {
    "教学设计": "teaching plan",
    "课件": "slides",
    "微课": "micro lesson",
    "作业练习": "exercises",
    "学习任务单": "worksheet",
    "课例": "lesson case",
    "试卷": "unit test",
    "素材": "materials",
    "音频": "listening audio",
}


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def _chapters_for(words: list[str], school_year: int, volume: int) -> list[str]:
    """A slice of the subject's list for this school year (1–12) and volume, in the list's order
    (the lists run from 小学 to 高中), so grades differ and repeat little."""
    per = max(4, len(words) // 24)
    start = (((school_year - 1) * 2 + volume) * per) % len(words)
    return [words[(start + i) % len(words)] for i in range(min(per, 10))]


def city_catalogue() -> dict[str, Any]:
    """The taxonomy file (the format of ``registry/data/catalogue-sample.json``)."""
    stages = []
    first_years = {"primary": 1, "junior": 7, "senior": 10}
    for stage_key, stage_name, grades, subjects in STAGES:
        subject_nodes = []
        for subject_key in subjects:
            subject_name, words = SUBJECTS[subject_key]
            grade_nodes = []
            for g, grade_name in enumerate(grades):
                if subject_key in ("physics",) and stage_key == "junior" and g == 0:
                    continue
                if subject_key == "chemistry" and stage_key == "junior" and g < 2:
                    continue
                edition_nodes = []
                for edition_key, edition_name in EDITIONS.get(subject_key, DEFAULT_EDITIONS):
                    volume_nodes = []
                    for v, volume_name in enumerate(["上册", "下册"]):
                        chapters = []
                        for c, name in enumerate(_chapters_for(words, first_years[stage_key] + g, v), start=1):
                            if subject_key == "english":
                                name = f"Unit {c} {name}"
                            lessons = MATH_LESSONS.get(name, []) if subject_key == "math" else []
                            chapter: dict[str, Any] = {"key": f"c{c}", "name": name}
                            if lessons:
                                chapter["children"] = [{"key": f"s{i}", "name": n} for i, n in enumerate(lessons, start=1)]
                            chapters.append(chapter)
                        volume_nodes.append({"key": f"vol{v + 1}", "name": volume_name, "children": chapters})
                    edition_nodes.append({"key": edition_key, "name": edition_name, "children": volume_nodes})
                grade_nodes.append({"key": f"g{g + 1}", "name": grade_name, "children": edition_nodes})
            subject_nodes.append({"key": subject_key, "name": subject_name, "children": grade_nodes})
        stages.append({"key": stage_key, "name": stage_name, "children": subject_nodes})
    return {"name": "资源分类目录（基准测试：全学段）", "children": stages}


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    chapter: str  # the chapter's name (a lesson's parent), or the node's own
    stage: str
    subject: str
    grade: str
    edition: str
    volume: str


def leaf_nodes(catalogue: dict[str, Any]) -> list[Node]:
    """Chapters without lessons and lessons: where resources are filed."""
    found: list[Node] = []

    def walk(node: dict[str, Any], ids: list[str], names: list[str]) -> None:
        ids, names = ids + [node["key"]], names + [node["name"]]
        children = node.get("children", [])
        if len(names) >= 6 and not children:
            found.append(Node(".".join(ids), names[-1], names[5], *names[:5]))
        for child in children:
            walk(child, ids, names)

    for stage in catalogue["children"]:
        walk(stage, [], [])
    return found


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    title: str
    description: str
    keywords: list[str]
    resource_type: str
    licence: str
    node_id: str
    accepted_at: datetime


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _title(rng: random.Random, node: Node, rtype: str) -> str:
    kp = node.name
    if node.subject == "英语":
        part = rng.choice(ENGLISH_PARTS)
        return rng.choice(
            [
                f"{kp} {part} {rtype}",
                f"{kp}: {part} ({ENGLISH_TYPES[rtype]})",
                f"{node.edition}{node.grade}英语{node.volume} {kp} {ENGLISH_TYPES[rtype]}",
            ]
        )
    forms = [
        f"《{kp}》{rtype}",
        f"{kp}{rtype}",
        f"{kp}{rng.choice(SUFFIXES)}",
        f"{node.edition}{node.grade}{node.subject}{node.volume}《{kp}》{rtype}",
        f"{node.grade}{node.subject}《{kp}》{rng.choice(SUFFIXES)}",
    ]
    if node.chapter != kp:
        forms.append(f"{node.chapter}——{kp}（第{rng.randint(1, 3)}课时）")
    return rng.choice(forms)


def _description(rng: random.Random, node: Node, rtype: str) -> str:
    kp = node.name
    if node.subject == "英语":
        return rng.choice(
            [
                f"This {ENGLISH_TYPES[rtype]} helps pupils practise the words and sentences of {kp} through games and songs.",
                f"Pupils talk about {kp.lower()} in pairs, listen to the dialogue and act it out. 学生在情境中运用语言。",
                f"A {ENGLISH_TYPES[rtype]} for {kp}: warm-up, presentation, practice and production, with a short reading task.",
            ]
        )
    goal = rng.choice(GOALS).format(kp=kp, subject=node.subject)
    sentences = [
        f"本{rtype}围绕“{kp}”展开，采用{rng.choice(METHODS)}的方式组织教学。",
        f"通过{rng.choice(ACTIVITIES)}和{rng.choice(ACTIVITIES)}，引导学生{goal}。",
        f"适用于{node.edition}{node.grade}{node.subject}{node.volume}“{node.chapter}”单元的教学。",
        f"设计了{rng.choice(['课前预习', '课堂练习', '课后作业', '拓展任务', '评价量表'])}，"
        f"关注学生的{rng.choice(['学习过程', '思维发展', '个体差异', '学习兴趣'])}。",
    ]
    rng.shuffle(sentences)
    return "".join(sentences[: rng.randint(2, 4)])


def resources(count: int, catalogue: dict[str, Any], *, seed: int = 15) -> Iterator[Resource]:
    """``count`` resources over the catalogue's leaves, accepted over the last three years."""
    rng = random.Random(seed)
    leaves = leaf_nodes(catalogue)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    span = int(timedelta(days=3 * 365).total_seconds())
    for _ in range(count):
        node = rng.choice(leaves)
        rtype = _weighted(rng, RESOURCE_TYPES)
        keywords = list(dict.fromkeys([node.name, node.chapter, rtype, *rng.sample(METHODS, rng.randint(1, 2))]))
        yield Resource(
            title=_title(rng, node, rtype)[:200],
            description=_description(rng, node, rtype),
            keywords=keywords[: rng.randint(2, len(keywords))],
            resource_type=rtype,
            licence=_weighted(rng, LICENCES),
            node_id=node.id,
            accepted_at=start + timedelta(seconds=rng.randrange(span)),
        )
