"""Chinese surnames the first character alone gets wrong: compound surnames (复姓) and the
characters read differently as a surname (多音字姓氏). Simplified forms; a name is folded
to simplified before it is looked up here.

pypinyin (0.5x) has no surname mode: it reads 曾小贤 `ceng`, 单丽华 `dan`, 解 `jie`. The
readings below are the surname readings of the national surname lists (toneless, `ü` as
`v` like pypinyin's `lazy_pinyin`; a compound's syllables split by spaces); a character
pypinyin already reads right as a surname is not listed.
"""

from __future__ import annotations

# A name is matched against its 4-, 3- and then 2-character prefix. Left out on purpose:
# compounds whose first character is a common surname and whose second starts many given
# names (贺兰, 谷梁, 梁丘, and Taiwan's 张简, 范姜): 贺兰芳 is far more often 贺 + 兰芳. The
# member's `address_as` preference corrects the rare other case.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ou yang", "司马": "si ma", "诸葛": "zhu ge", "上官": "shang guan",
    "东方": "dong fang", "皇甫": "huang fu", "尉迟": "yu chi", "公孙": "gong sun",
    "慕容": "mu rong", "长孙": "zhang sun", "宇文": "yu wen", "司徒": "si tu",
    "夏侯": "xia hou", "轩辕": "xuan yuan", "令狐": "ling hu", "钟离": "zhong li",
    "闾丘": "lv qiu", "端木": "duan mu", "万俟": "mo qi", "澹台": "tan tai",
    "公冶": "gong ye", "宗政": "zong zheng", "濮阳": "pu yang", "淳于": "chun yu",
    "单于": "chan yu", "太叔": "tai shu", "申屠": "shen tu", "仲孙": "zhong sun",
    "赫连": "he lian", "呼延": "hu yan", "南宫": "nan gong", "拓跋": "tuo ba",
    "百里": "bai li", "东郭": "dong guo", "西门": "xi men", "第五": "di wu",
    "司空": "si kong", "司寇": "si kou", "鲜于": "xian yu", "闻人": "wen ren",
    "亓官": "qi guan", "仉督": "zhang du", "子车": "zi ju", "颛孙": "zhuan sun",
    "巫马": "wu ma", "公西": "gong xi", "漆雕": "qi diao", "乐正": "yue zheng",
    "壤驷": "rang si", "公良": "gong liang", "夹谷": "jia gu", "宰父": "zai fu",
    "段干": "duan gan", "公羊": "gong yang", "羊舌": "yang she",
    "微生": "wei sheng", "左丘": "zuo qiu", "东门": "dong men",
    "公门": "gong men", "公上": "gong shang", "中行": "zhong hang", "独孤": "du gu",
    "完颜": "wan yan", "纳兰": "na lan", "耶律": "ye lv",
    "哥舒": "ge shu", "即墨": "ji mo", "归海": "gui hai", "呼衍": "hu yan",

    "爱新觉罗": "ai xin jue luo", "叶赫那拉": "ye he na la",
}

# The surname reading where it differs from the everyday one pypinyin gives.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha",
    "朴": "piao", "盖": "ge", "覃": "qin", "缪": "miao", "翟": "zhai", "秘": "bi",
    "种": "chong", "重": "chong", "繁": "po", "折": "she", "佴": "nai", "粘": "nian",
    "藏": "zang", "扎": "za", "都": "du", "六": "lu", "薄": "bo", "乐": "yue",
    "阚": "kan", "卜": "bu", "召": "shao", "员": "yun", "句": "gou", "乜": "nie",
    "隗": "wei", "黑": "he", "祭": "zhai", "能": "nai", "郇": "xun", "洗": "xian",
    "炅": "gui", "朝": "zhao", "莘": "shen", "角": "jue", "尉": "wei", "宿": "su",
    "柏": "bai", "牟": "mou", "冼": "xian", "谌": "chen", "厍": "she", "长": "chang",
}
