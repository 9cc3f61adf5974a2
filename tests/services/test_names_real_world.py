"""Real-world names end to end: each member is added to a desk database, then addressed
(profile.honorifics) and searched (LookupService) the ways staff type them.

Columns: Chinese name, Latin name, gender, 中文称呼, English form, queries that must
show the member first, queries that must find the member ("|" between queries).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.models import Member
from vipdesk.services.lookup import LookupService
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.profile import honorifics
from vipdesk.services.tiers import seed_default_tiers


class Name(NamedTuple):
    zh: str | None
    latin: str | None
    gender: str | None
    address_zh: str
    address_en: str
    first: str = ""  # this member is the first hit
    found: str = ""  # this member is among the hits


N = Name
COMPOUND = [
    N("欧阳娜娜", None, "F", "欧阳女士", "欧阳女士", "欧阳娜娜|ouyangnana|oynn", "娜娜|nana"),
    N("司马文静", None, "F", "司马女士", "司马女士", "司马文静|simawenjing|smwj", "文静"),
    N("诸葛晓峰", None, "M", "诸葛先生", "诸葛先生", "诸葛晓峰|zhugexiaofeng|zgxf"),
    N("上官婉儿", None, "F", "上官女士", "上官女士", "上官婉儿|shangguanwaner"),
    N("东方朔", None, "M", "东方先生", "东方先生", "东方朔|dongfangshuo"),
    N("皇甫嵩", None, "M", "皇甫先生", "皇甫先生", "皇甫嵩|huangfusong"),
    N("尉迟恭", None, "M", "尉迟先生", "尉迟先生", "尉迟恭|yuchigong|ycg", "weichigong|wcg"),
    N("公孙胜", None, "M", "公孙先生", "公孙先生", "公孙胜|gongsunsheng"),
    N("慕容复", None, "M", "慕容先生", "慕容先生", "慕容复|murongfu"),
    N("长孙无忌", None, "M", "长孙先生", "长孙先生", "长孙无忌|zhangsunwuji|zswj"),
    N("宇文泰", None, "M", "宇文先生", "宇文先生", "宇文泰|yuwentai"),
    N("司徒雷登", None, "M", "司徒先生", "司徒先生", "司徒雷登|situleideng"),
    N("夏侯惇", None, "M", "夏侯先生", "夏侯先生", "夏侯惇|xiahoudun"),
    N("轩辕宏", None, "M", "轩辕先生", "轩辕先生", "轩辕宏|xuanyuanhong"),
    N("令狐冲", None, "M", "令狐先生", "令狐先生", "令狐冲|linghuchong|lhc"),
    N("钟离春", None, "F", "钟离女士", "钟离女士", "钟离春|zhonglichun"),
    N("闾丘露薇", None, "F", "闾丘女士", "闾丘女士", "闾丘露薇|lvqiuluwei"),
    N("端木蕻良", None, "M", "端木先生", "端木先生", "端木蕻良|duanmuhongliang"),
    N("万俟卨", None, "M", "万俟先生", "万俟先生", "万俟卨|moqixie|mqx", "wanqixie"),
    N("澹台灭明", None, "M", "澹台先生", "澹台先生", "澹台灭明|tantaimieming|ttmm"),
    N("公冶长", None, "M", "公冶先生", "公冶先生", "公冶长|gongye"),
    N("宗政文", None, "M", "宗政先生", "宗政先生", "宗政文|zongzhengwen"),
    N("濮阳兴", None, "M", "濮阳先生", "濮阳先生", "濮阳兴|puyangxing"),
    N("淳于意", None, "M", "淳于先生", "淳于先生", "淳于意|chunyuyi"),
    N("单于宏", None, "M", "单于先生", "单于先生", "单于宏|chanyuhong|cyh"),
    N("太叔仪", None, "M", "太叔先生", "太叔先生", "太叔仪|taishuyi"),
    N("申屠嘉", None, "M", "申屠先生", "申屠先生", "申屠嘉|shentujia"),
    N("仲孙湫", None, "M", "仲孙先生", "仲孙先生", "仲孙湫|zhongsun"),
    N("赫连勃勃", None, "M", "赫连先生", "赫连先生", "赫连勃勃|helianbobo"),
    N("呼延赞", None, "M", "呼延先生", "呼延先生", "呼延赞|huyanzan"),
    N("南宫适", None, "M", "南宫先生", "南宫先生", "南宫适"),
    N("拓跋宏", None, "M", "拓跋先生", "拓跋先生", "拓跋宏|tuobahong"),
    N("百里奚", None, "M", "百里先生", "百里先生", "百里奚|bailixi"),
    N("东郭敏", None, "F", "东郭女士", "东郭女士", "东郭敏|dongguomin"),
    N("西门雪", None, "F", "西门女士", "西门女士", "西门雪|ximenxue"),
    N("第五伦", None, "M", "第五先生", "第五先生", "第五伦|diwulun"),
    N("司空曙", None, "M", "司空先生", "司空先生", "司空曙|sikongshu"),
    N("鲜于枢", None, "M", "鲜于先生", "鲜于先生", "鲜于枢|xianyushu"),
    N("爱新觉罗溥仪", None, "M", "爱新觉罗先生", "爱新觉罗先生", "爱新觉罗溥仪|axjlpy"),
]
POLYPHONE = [
    N("曾小贤", None, "M", "曾先生", "曾先生", "曾小贤|zengxiaoxian|zxx", "cengxiaoxian|小贤"),
    N("单丽华", None, "F", "单女士", "单女士", "单丽华|shanlihua", "slh|danlihua|dlh"),
    N("解晓东", None, "M", "解先生", "解先生", "解晓东|xiexiaodong|xxd", "jiexiaodong"),
    N("仇英", None, "M", "仇先生", "仇先生", "仇英|qiuying", "qy|chouying"),
    N("区志强", None, "M", "区先生", "区先生", "区志强|ouzhiqiang|ozq", "quzhiqiang"),
    N("查良镛", None, "M", "查先生", "查先生", "查良镛|zhaliangyong|zly", "chaliangyong"),
    N("朴槿惠", None, "F", "朴女士", "朴女士", "朴槿惠|piaojinhui|pjh", "pujinhui"),
    N("盖聂", None, "M", "盖先生", "盖先生", "盖聂|genie", "gainie"),
    N("覃海洋", None, "M", "覃先生", "覃先生", "覃海洋|qinhaiyang|qhy", "tanhaiyang"),
    N("缪可", None, "F", "缪女士", "缪女士", "缪可|miaoke", "mouke"),
    N("翟天临", None, "M", "翟先生", "翟先生", "翟天临|zhaitianlin|ztl", "ditianlin"),
    N("种师道", None, "M", "种先生", "种先生", "种师道|chongshidao"),
    N("乐嘉", None, "M", "乐先生", "乐先生", "乐嘉|yuejia"),
    N("卜凡", None, "M", "卜先生", "卜先生", "卜凡|bufan", "bofan"),
    N("阚清子", None, "F", "阚女士", "阚女士", "阚清子|kanqingzi|kqz", "hanqingzi"),
    N("粘永胜", None, "M", "粘先生", "粘先生", "粘永胜|nianyongsheng"),
    N("藏天朔", None, "M", "藏先生", "藏先生", "藏天朔|zangtianshuo"),
    N("折兰英", None, "F", "折女士", "折女士", "折兰英|shelanying"),
    N("繁钦", None, "M", "繁先生", "繁先生", "繁钦|poqin"),
    N("秘晓", None, "F", "秘女士", "秘女士", "秘晓|bixiao"),
]
TRADITIONAL = [
    N("陳大文", "Chan Tai Man", "M", "陳先生", "Mr Chan", "陳大文|陈大文|chendawen|cdw",
      "大文|chan|taiman"),
    N("張學友", "Cheung Hok Yau", "M", "張先生", "Mr Cheung", "张学友|張學友|zhangxueyou"),
    N("劉德華", "Lau Tak Wah", "M", "劉先生", "Mr Lau", "刘德华|劉德華|ldh|Lau Tak Wah"),
    N("黃秋生", None, "M", "黃先生", "黃先生", "黄秋生|黃秋生|huangqiusheng"),
    N("鄭秀文", "Sammi Cheng", "F", "鄭女士", "Ms Sammi", "郑秀文|鄭秀文|zhengxiuwen"),
    N("歐陽震華", "Au-Yeung Chun Wah", "M", "歐陽先生", "Mr Au-Yeung",
      "欧阳震华|歐陽震華|ouyangzhenhua|au-yeung chun wah", "auyeung"),
    N("吳鎮宇", None, "M", "吳先生", "吳先生", "吴镇宇|吳鎮宇|wuzhenyu"),
    N("郭臺銘", None, "M", "郭先生", "郭先生", "郭台铭|郭臺銘|guotaiming"),
    N("周潤發", None, "M", "周先生", "周先生", "周润发|周潤發|zhourunfa"),
    N("鍾楚紅", None, "F", "鍾女士", "鍾女士", "钟楚红|鍾楚紅|zhongchuhong"),
    N("關之琳", None, "F", "關女士", "關女士", "关之琳|關之琳|guanzhilin"),
    N("譚詠麟", None, "M", "譚先生", "譚先生", "谭咏麟|譚詠麟|tanyonglin"),
    N("司徒華", None, "M", "司徒先生", "司徒先生", "司徒华|司徒華|situhua"),
    N("陈美玲", None, "F", "陈女士", "陈女士", "陳美玲|陈美玲|chenmeiling"),
    N("蔡英文", None, "F", "蔡女士", "蔡女士", "蔡英文|caiyingwen"),
    N("鄧麗君", "Teresa Teng", "F", "鄧女士", "Ms Teresa", "邓丽君|鄧麗君|dlj", "teng"),
]
DOTTED = [
    N("阿卜杜拉·买买提", None, "M", "阿卜杜拉先生", "阿卜杜拉先生",
      "阿卜杜拉·买买提|阿卜杜拉买买提|阿卜杜拉", "买买提"),
    N("迪丽热巴·迪力木拉提", None, "F", "迪丽热巴女士", "迪丽热巴女士", "迪丽热巴", "迪力木拉提"),
    N("古丽娜尔·吐尔逊", None, "F", "古丽娜尔女士", "古丽娜尔女士", "古丽娜尔·吐尔逊", "吐尔逊"),
    N("买买提·艾力", None, "M", "买买提先生", "买买提先生", "买买提·艾力", "艾力"),
    N("热依扎·阿不都", None, "F", "热依扎女士", "热依扎女士", "热依扎", "阿不都"),
    N("艾力‧库尔班", None, "M", "艾力先生", "艾力先生", "艾力‧库尔班|艾力·库尔班", "库尔班"),
    N("阿依古丽•托合提", None, "F", "阿依古丽女士", "阿依古丽女士", "阿依古丽", "托合提"),
    N("努尔兰・沙肯", None, "M", "努尔兰先生", "努尔兰先生", "努尔兰", "沙肯"),
    N("帕尔哈提·吐逊", None, "M", "帕尔哈提先生", "帕尔哈提先生", "帕尔哈提"),
    N("阿迪力．吾休尔", None, "M", "阿迪力先生", "阿迪力先生", "阿迪力", "吾休尔"),
]
# Characters outside the Basic Multilingual Plane (CJK Extension B–H).
SUPPLEMENTARY = [
    N("李𬭚", None, "M", "李先生", "李先生", "李𬭚|lichun", "𬭚"),
    N("王𠀀", None, "F", "王女士", "王女士", "王𠀀", "𠀀"),
    N("张𡒄", None, "M", "张先生", "张先生", "张𡒄", "𡒄"),
    N("陈𪚥", None, "M", "陈先生", "陈先生", "陈𪚥"),
    N("赵𫖮", None, "F", "赵女士", "赵女士", "赵𫖮"),
    N("刘𬀩", None, "M", "刘先生", "刘先生", "刘𬀩"),
    N("孙𰀁", None, "M", "孙先生", "孙先生", "孙𰀁"),
    N("周𱍐", None, "F", "周女士", "周女士", "周𱍐"),
    N("欧阳𬭚", None, "M", "欧阳先生", "欧阳先生", "欧阳𬭚"),
]
LATIN = [
    N(None, "Maria García", "F", "Maria García", "Ms García", "Maria García", "garcia|maria"),
    N(None, "Emma Laurent", "F", "Emma Laurent", "Ms Laurent", "emma laurent|laurent"),
    N(None, "José Álvarez", "M", "José Álvarez", "Mr Álvarez", "jose alvarez|alvarez"),
    N(None, "Zoë Lefèvre", "F", "Zoë Lefèvre", "Ms Lefèvre", "Zoë Lefèvre|lefevre|ｌｅｆｅｖｒｅ"),
    N(None, "Seán O'Brien", "M", "Seán O'Brien", "Mr O'Brien", "O'Brien|obrien|sean obrien"),
    N(None, "Jürgen Müller", "M", "Jürgen Müller", "Mr Müller", "müller|muller"),
    N(None, "GARCÍA, María", "F", "GARCÍA, María", "Ms GARCÍA", "garcia maria"),
    N(None, "TAN, Mei Ling", "F", "TAN, Mei Ling", "Ms TAN", "tan mei ling"),
    N(None, "Anna-Lena Schmidt", "F", "Anna-Lena Schmidt", "Ms Schmidt", "schmidt", "lena"),
    N("王小明", "Wang Xiaoming", "M", "王先生", "Mr Wang", "王小明|wangxiaoming|wxm",
      "xiaoming"),
    N("李娜", None, "F", "李女士", "李女士", "李娜|lina"),
    N("赵敏", None, None, "赵敏", "赵敏", "赵敏|zhaomin"),
    N("林志玲", "Lin Chi-ling", "F", "林女士", "Ms Lin", "林志玲|lzl|lin chi-ling", "chiling"),
    N("欧阳娜", "Ouyang Na", "F", "欧阳女士", "Ms Ouyang", "欧阳娜|ouyang na"),
    N("Tom", None, "M", "Tom", "Mr Tom", "tom"),
]
# The members a wrong index confuses them with (孙丽华 for `slh`, other 李 for 李𬭚).
NEIGHBOURS = [
    N("孙丽华", None, "F", "孙女士", "孙女士", "孙丽华|sunlihua", "slh"),
    N("陈晓霞", None, "F", "陈女士", "陈女士", "陈晓霞|chenxiaoxia|cxx"),
    N("陈大明", None, "M", "陈先生", "陈先生", "陈大明"),
    N("欧娜", None, "F", "欧女士", "欧女士", "欧娜"),
    N("司文静", None, "F", "司女士", "司女士", "司文静"),
    *[N(f"李{given}", None, "M", "李先生", "李先生", f"李{given}")
      for given in ("明", "华", "强", "伟", "军", "勇", "杰", "涛")],
]
NAMES = COMPOUND + POLYPHONE + TRADITIONAL + DOTTED + SUPPLEMENTARY + LATIN + NEIGHBOURS


def _no(index: int) -> str:
    return f"N{index:05d}"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_desk_db(Path(tmp_path_factory.mktemp("names")) / "names.db")
    with Session(engine) as s, s.begin():
        seed_default_tiers(s)
        for index, name in enumerate(NAMES):
            add_member(s, NewMember(member_no=_no(index), name_zh=name.zh,
                                    name_latin=name.latin, gender=name.gender))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def lookup(desk: Engine) -> LookupService:
    return LookupService(desk)


def _cases(column: str) -> list[tuple[str, int]]:
    return [(query, index) for index, name in enumerate(NAMES)
            for query in getattr(name, column).split("|") if query]


def test_the_table_is_a_real_sample() -> None:
    assert len(NAMES) >= 100
    assert len({(n.zh, n.latin) for n in NAMES}) == len(NAMES)


@pytest.mark.parametrize("index", range(len(NAMES)),
                         ids=[n.zh or n.latin or "" for n in NAMES])
def test_forms_of_address(desk: Engine, index: int) -> None:
    name = NAMES[index]
    with Session(desk) as s:
        member = s.scalars(select(Member).where(Member.member_no == _no(index))).one()
        assert honorifics(member) == (name.address_zh, name.address_en)


@pytest.mark.parametrize(("query", "index"), _cases("first"))
def test_query_shows_the_member_first(lookup: LookupService, query: str, index: int) -> None:
    hits = lookup.search(query).hits
    assert hits, f"{query!r} found nothing"
    assert hits[0].member_no == _no(index), [h.name for h in hits[:5]]


@pytest.mark.parametrize(("query", "index"), _cases("found"))
def test_query_finds_the_member(lookup: LookupService, query: str, index: int) -> None:
    assert _no(index) in [h.member_no for h in lookup.search(query).hits]


def test_surname_reading_ranks_before_the_everyday_reading(lookup: LookupService) -> None:
    # `cxx` is 陈晓霞 read plainly and 曾小贤 read as 曾 is read everywhere but in a surname.
    names = [h.name for h in lookup.search("cxx").hits]
    assert names.index("陈晓霞") < names.index("曾小贤")


def test_initials_of_a_polyphone_surname_find_both_namesakes(lookup: LookupService) -> None:
    assert {"单丽华", "孙丽华"} <= {h.name for h in lookup.search("slh").hits}


def test_a_supplementary_plane_character_is_part_of_the_name(lookup: LookupService) -> None:
    assert [h.name for h in lookup.search("李𬭚").hits] == ["李𬭚"]
