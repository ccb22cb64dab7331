"""A made-up field corpus with planted terms, to try the own-corpus path and to test it.

``field_lines`` writes maintenance reports of a power grid: sentences from a few dozen
templates whose slots take the planted terms (``PLANTED``: equipment and procedures of the
field) and everyday fillers. ``general_lines`` writes the same templates with everyday nouns in
the term slots, so that in a contrast of the two only the planted terms stand out: what a test
needs. Real use contrasts the field's text with the 1998 news (the pipeline's general corpus).
``zhpipe demo-corpus`` writes ``field_lines`` to a file.
"""

from __future__ import annotations

import random

#: The terms planted in the field's text (none of them occurs in ``general_lines``).
PLANTED = ("变压器", "断路器", "继电保护", "输电线路", "绝缘子", "隔离开关", "避雷器", "电容器",
           "互感器", "配电柜", "接地网", "母线槽")

#: Long terms (eight characters) and the Markdown a real document carries, for
#: ``field_document``: the term ranking must keep the long ones whole and never rank the markup.
PLANTED_LONG = ("特高压换流变压器", "变电站巡检机器人", "分布式光伏逆变器")
_MARKUP = ("## 1.", "---", "### 2.3", "| -- | -- |", "**", "--", "```")

_GENERAL_NOUNS = ("桌子", "电脑", "汽车", "房屋", "书架", "窗户", "衣服", "电话", "椅子", "自行车",
                  "冰箱", "门锁")
_TEAMS = ("运维班组", "检修人员", "值班员", "技术人员", "巡视小组", "工作负责人")
_PLACES = ("东区", "北站", "城南", "新区", "开发区", "老城区", "河西", "二号楼")
_TIMES = ("今天上午", "昨天下午", "本周一", "上个月", "凌晨三点", "周末", "月初", "前天晚上")
_ACTIONS = ("检查", "清扫", "测试", "更换", "维修", "调试", "巡视", "登记")
_FAULTS = ("发热", "松动", "老化", "破损", "异响", "锈蚀", "渗漏", "变形")
_TEMPLATES = (
    "{time}，{team}对{place}的{a}进行了{act}，发现{b}有{fault}现象。",
    "{team}在{place}{act}{a}时，注意到{b}已经{fault}，随即上报。",
    "{place}的{a}因为{fault}停用，{team}{time}完成了{act}。",
    "根据记录，{a}和{b}在{time}都做过{act}，目前没有{fault}。",
    "{team}建议{time}再次{act}{place}的{a}，以免{b}{fault}。",
    "{time}{place}{a}{fault}，{team}赶到现场{act}{b}。",
    "这次{act}共涉及{place}的{a}、{b}等，{team}逐一确认没有{fault}。",
    "{team}说，{a}如果长期{fault}，{b}也会受到影响，必须按时{act}。",
)


def _lines(n: int, seed: int, nouns: tuple[str, ...]) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.sample(nouns, 2)
        out.append(rng.choice(_TEMPLATES).format(
            a=a, b=b, time=rng.choice(_TIMES), team=rng.choice(_TEAMS),
            place=rng.choice(_PLACES), act=rng.choice(_ACTIONS), fault=rng.choice(_FAULTS)))
    return out


def field_lines(n: int = 3000, seed: int = 7) -> list[str]:
    """``n`` sentences of the made-up field (the planted terms in the term slots)."""
    return _lines(n, seed, PLANTED)


def field_document(n: int = 3000, seed: int = 7) -> list[str]:
    """``field_lines`` with the long terms in the term slots too, and a Markdown heading, rule
    or table row every tenth line: a field's text as documents bring it."""
    rng = random.Random(seed + 1)
    out = []
    for i, line in enumerate(_lines(n, seed, PLANTED + PLANTED_LONG)):
        if i % 10 == 0:
            out.append(rng.choice(_MARKUP))
        out.append(line)
    return out


def general_lines(n: int = 3000, seed: int = 8) -> list[str]:
    """``n`` sentences of the same templates with everyday nouns: the contrast corpus."""
    return _lines(n, seed, _GENERAL_NOUNS)
