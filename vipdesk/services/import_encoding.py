"""Which encoding a member file is in, judged by what its name column then says.

Chinese chains' files come as UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode
text"), GB18030/GBK (mainland Excel's "CSV") or Big5 (Hong Kong and Taiwan). The bytes
alone often fit several: a short GB18030 file can be valid UTF-8 (谢伟 → `лΰ`), and most
GB18030 text also decodes as Big5 and the reverse (陳大文 → `朝ゅ`). So every candidate
that decodes the start of the file is read, and its name column must look like names
(CJK ideographs, Latin letters); between readings that both do, the one whose names
start with common Chinese surnames wins. charset-normalizer orders the candidates; a
file no candidate reads as names, or two read equally well, is refused, never guessed.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vipdesk.services.person_name import is_cjk, simplified_char

CANDIDATES = ("utf-8", "gb18030", "big5hkscs")  # GBK is a subset of GB18030
LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "gb18030": "GB18030",
          "big5hkscs": "Big5-HKSCS"}
SAMPLE_BYTES = 256 * 1024  # the names of the first few thousand rows are evidence enough
SAMPLE_NAMES = 2000
DETECTOR_BYTES = 64 * 1024  # charset-normalizer's cost grows with its input
CHUNK = 1024 * 1024
# The winner's share of names with a common surname must beat the runner-up's by this.
SURNAME_MARGIN = 0.2
# Valid UTF-8 that reads as Cyrillic/Greek loses only to a reading with this share of
# names starting with a common surname.
MOJIBAKE_SURNAMES = 0.5
# A reading with more names that are not names than this share is not a reading.
MAX_ODD_NAMES = 0.02

# The most common Chinese surnames (simplified; a name is folded before it is looked up):
# together well over four in five people in the mainland, Hong Kong and Taiwan.
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
    "蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠"
    "荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹"
    "井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰"
    "赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝"
    "智幸奉植衡富尧闭由"
)
_NAME_PUNCTUATION = frozenset(" ·・‧•．.'’-　")  # transliterated names: 阿卜杜拉·买买提


class EncodingError(ValueError):
    """The file's encoding cannot be told from its bytes; the message says what to do."""


@dataclass(frozen=True)
class Reading:
    """The sample as one candidate encoding reads it."""

    encoding: str
    names: tuple[str, ...] | None  # the name column; None when the header was not found
    error: str = ""  # why the candidate cannot be the file's encoding at all
    error_at: int = -1  # the byte offset in the sample where it stopped decoding

    @property
    def odd(self) -> list[str]:
        return [n for n in self.names or () if not looks_like_name(n)]

    @property
    def plausible(self) -> bool:
        if self.error or self.names is None:
            return False
        foreign = [n for n in self.names if not n.isascii()]
        return len(self.odd) <= MAX_ODD_NAMES * len(foreign)

    def surname_share(self) -> float:
        chinese = [n for n in self.names or () if n[:1] and is_cjk(n[0])]
        if not chinese:
            return 0.0
        return sum(simplified_char(n[0]) in COMMON_SURNAMES for n in chinese) / len(chinese)


@dataclass(frozen=True)
class Choice:
    encoding: str
    why: str  # the evidence, for the report


def looks_like_name(text: str) -> bool:
    """CJK ideographs, Latin letters (pinyin tones, Vietnamese included), ASCII and the
    dots and spaces of names; not the kana, Cyrillic, Greek, private-use characters or
    symbols a wrongly decoded Chinese name turns into."""
    return all(c.isascii() or is_cjk(c) or c in _NAME_PUNCTUATION or _latin_letter(c)
               for c in text)


def _latin_letter(char: str) -> bool:
    code = ord(char)
    latin = (0xC0 <= code <= 0x17F or 0x1CD <= code <= 0x1DC or 0x1E00 <= code <= 0x1EFF
             or 0xFF21 <= code <= 0xFF5A)  # the last: full-width letters
    return latin and code not in (0xD7, 0xF7) and unicodedata.category(char).startswith("L")


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def choose_encoding(path: Path, name_column: Callable[[list[str]], int | None],
                    forced: str | None = None) -> Choice:
    """The file's encoding and the evidence for it; raises EncodingError."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if forced:
        choice = Choice(_known(forced), "given with --encoding")
    elif (bom := bom_encoding(sample)) is not None:
        choice = _judge_bom(read_sample(sample, bom, name_column))
    else:
        readings = [read_sample(sample, enc, name_column) for enc in _ordered(sample)]
        choice = judge(readings)
    check_whole_file(path, choice.encoding)
    return choice


def _known(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise EncodingError(f"--encoding: unknown encoding {encoding!r} "
                            "(e.g. utf-8, gb18030, big5hkscs, utf-16)") from None


def _ordered(sample: bytes) -> list[str]:
    """The candidates, charset-normalizer's best guess first (ties keep CANDIDATES order)."""
    from charset_normalizer import from_bytes

    guesses = from_bytes(sample[:DETECTOR_BYTES], cp_isolation=list(CANDIDATES))
    rank = {codecs.lookup(m.encoding).name: i for i, m in enumerate(guesses)}
    return sorted(CANDIDATES, key=lambda enc: rank.get(enc, len(rank)))


def read_sample(sample: bytes, encoding: str,
                name_column: Callable[[list[str]], int | None]) -> Reading:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        text = decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeDecodeError as exc:
        return Reading(encoding, None, f"bytes {exc.object[exc.start:exc.end].hex(' ')}",
                       exc.start)
    if len(sample) == SAMPLE_BYTES:
        text = text[:text.rfind("\n") + 1]  # the last line may be cut short
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = next(rows, None)
    column = name_column(header) if header else None
    if column is None:
        return Reading(encoding, None)
    names = (row[column].strip() for row in rows if len(row) > column)
    return Reading(encoding, tuple(n for n in names if n)[:SAMPLE_NAMES])


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max(",;\t", key=lambda d: (header.count(d), d == ","))


def _judge_bom(reading: Reading) -> Choice:
    if reading.error:
        raise EncodingError(f"the file starts with a {LABELS[reading.encoding]} byte order "
                            f"mark but is not {LABELS[reading.encoding]} ({reading.error})")
    return Choice(reading.encoding, "byte order mark")


def judge(readings: list[Reading]) -> Choice:
    """The reading with the best evidence, or EncodingError naming the candidates."""
    decodable = [r for r in readings if not r.error]
    if not decodable:  # the one that got furthest: check_whole_file says where and why
        furthest = max(readings, key=lambda r: (r.error_at, -CANDIDATES.index(r.encoding)))
        return Choice(furthest.encoding, "")
    with_header = [r for r in decodable if r.names is not None]
    if not with_header:  # no name column: the detector's best guess among those that decode
        return Choice(decodable[0].encoding, "")
    if len(with_header) > 1 and len({r.names for r in with_header}) == 1:
        return Choice(_prefer_utf8(with_header), "every candidate reads the same text")
    plausible = [r for r in with_header if r.plausible]
    utf8 = next((r for r in with_header if r.encoding == "utf-8"), None)
    if utf8 is not None and (utf8.plausible or not plausible or not _mojibake(utf8)):
        # Valid UTF-8 is evidence in itself: legacy Chinese text rarely is, and when it
        # is, it reads as two-byte letters (Cyrillic, Greek…), and another candidate wins.
        return Choice("utf-8", "valid UTF-8")
    if not plausible:
        raise EncodingError(_no_names_message(with_header))
    if utf8 is not None and max(r.surname_share() for r in plausible) < MOJIBAKE_SURNAMES:
        # Valid UTF-8 in Cyrillic or Greek is also what a Russian or Greek member's name
        # looks like: the legacy reading must show Chinese surnames to win over it.
        return Choice("utf-8", "valid UTF-8 (no other reading starts with common surnames)")
    return _by_surnames(plausible)


def _mojibake(utf8: Reading) -> bool:
    """GB18030 or Big5 bytes that happen to be valid UTF-8 decode to two-byte sequences
    (U+0080–U+07FF); an odd name with anything beyond (an emoji, a rare ideograph, kana)
    was written as UTF-8 on purpose."""
    return all(ord(c) < 0x800 for name in utf8.odd for c in name)


def _prefer_utf8(readings: list[Reading]) -> str:
    return "utf-8" if any(r.encoding == "utf-8" for r in readings) else readings[0].encoding


def _by_surnames(plausible: list[Reading]) -> Choice:
    ranked = sorted(plausible, key=lambda r: -r.surname_share())
    best = ranked[0]
    if len(ranked) == 1:
        return Choice(best.encoding, "the only encoding whose header and names read right")
    second = ranked[1]
    if best.surname_share() - second.surname_share() < SURNAME_MARGIN:
        raise EncodingError(
            "cannot tell the file's encoding: the name column reads as names in "
            + " and in ".join(_shown(r) for r in ranked)
            + "; re-save it as “CSV UTF-8” or give --encoding")
    return Choice(best.encoding, f"{best.surname_share():.0%} of names start with a common "
                  f"surname ({LABELS[second.encoding]}: {second.surname_share():.0%})")


def _shown(reading: Reading) -> str:
    names = "、".join((reading.names or ())[:3])
    return f"{LABELS[reading.encoding]} ({names} …)"


def _no_names_message(readings: list[Reading]) -> str:
    tried = "; ".join(f"{LABELS[r.encoding]}: {'、'.join(r.odd[:3])}" for r in readings)
    return ("the name column does not read as names in any encoding tried (" + tried
            + "); re-save the file as “CSV UTF-8” or give --encoding")


def check_whole_file(path: Path, encoding: str) -> None:
    """Every byte of the file decodes, or EncodingError naming the first bad line."""
    problem = first_undecodable(path, encoding)
    if problem is None:
        return
    line, bad, seen_non_ascii = problem
    label = LABELS.get(encoding, encoding)
    if encoding.startswith("utf-8") and not seen_non_ascii:
        raise EncodingError(f"line {line}: bytes {bad} are not UTF-8, GB18030 or Big5 "
                            "text; re-save the file as “CSV UTF-8”")
    raise EncodingError(f"line {line}: not valid {label} (bytes {bad}); fix or re-save "
                        "the file as “CSV UTF-8”")


def first_undecodable(path: Path, encoding: str) -> tuple[int, str, bool] | None:
    """(line, the bad bytes in hex, whether non-ASCII text decoded before them) or None.
    Chunked, with one incremental decoder, so it holds for UTF-16 too."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line, seen_non_ascii = 1, False
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                before = exc.object[:exc.start].decode(encoding, errors="replace")
                seen = seen_non_ascii or not before.isascii()
                return (line + before.count("\n"),
                        exc.object[exc.start:exc.end + 2].hex(" "), seen)
            line += text.count("\n")
            seen_non_ascii = seen_non_ascii or not text.isascii()
            if not chunk:
                return None
