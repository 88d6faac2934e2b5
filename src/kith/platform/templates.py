# The library is in Chinese, as WeChat's is: its full-width punctuation is meant.
# ruff: noqa: RUF001
"""kith's template library (WeChat's "template messages"), as data, and what a follower sees of one.

A service account sets two industries (``template/api_set_industry``, WeChat's numbering), adds
templates of those industries from the library by their short id (``template/api_add_template``,
``TM00015``) and sends them by the random ``template_id`` it gets: the service notifications of an
order paid, a parcel at the door, an appointment tomorrow. A template's content is WeChat's:
``{{first.DATA}}``, one ``label：{{keywordN.DATA}}`` line per keyword, ``{{remark.DATA}}``; the
message a follower gets is that content with the values of the send's ``data``.

No storage and no HTTP here: kith.platform.template_service asks this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kith.platform.models import WeChatError

MAX_VALUE = 200  # characters of one field's value that are shown; the rest is cut
SHORT_ID = re.compile(r"\A[A-Z]{2,8}[0-9]{1,12}\Z")
FIELD = re.compile(r"\{\{([A-Za-z][A-Za-z0-9_]{0,31})\.DATA\}\}")


@dataclass(frozen=True)
class Industry:
    id: int
    first_class: str
    second_class: str


# WeChat's industry numbering (1 to 41), with its names as template/get_industry shows them
_NAMES = [
    ("IT科技", "互联网|电子商务"), ("IT科技", "IT软件与服务"), ("IT科技", "IT硬件与设备"), ("IT科技", "电子技术"),
    ("IT科技", "通信与运营商"), ("IT科技", "网络游戏"),
    ("金融业", "银行"), ("金融业", "基金|理财|信托"), ("金融业", "保险"),
    ("餐饮", "餐饮"),
    ("酒店旅游", "酒店"), ("酒店旅游", "旅游"),
    ("运输与仓储", "快递"), ("运输与仓储", "物流"), ("运输与仓储", "仓储"),
    ("教育", "培训"), ("教育", "院校"),
    ("政府与公共事业", "学术科研"), ("政府与公共事业", "交警"), ("政府与公共事业", "博物馆"),
    ("政府与公共事业", "公共事业|非盈利机构"),
    ("医药护理", "医药医疗"), ("医药护理", "护理美容"), ("医药护理", "保健与卫生"),
    ("交通工具", "汽车相关"), ("交通工具", "摩托车相关"), ("交通工具", "火车相关"), ("交通工具", "飞机相关"),
    ("房地产", "建筑"), ("房地产", "物业"),
    ("消费品", "消费品"),
    ("商业服务", "法律"), ("商业服务", "会展"), ("商业服务", "中介服务"), ("商业服务", "认证"), ("商业服务", "审计"),
    ("文体娱乐", "传媒"), ("文体娱乐", "体育"), ("文体娱乐", "娱乐休闲"),
    ("印刷", "印刷"),
    ("其它", "其它"),
]  # fmt: skip
INDUSTRIES: dict[int, Industry] = {n: Industry(n, first, second) for n, (first, second) in enumerate(_NAMES, start=1)}


@dataclass(frozen=True)
class Template:
    """A template of the library, or the one an account added (``picked``: the library's keywords it
    chose with ``keyword_name_list``, by their number from 1, in its order; empty: all of them)."""

    short_id: str
    title: str
    industry: int
    keywords: tuple[str, ...]
    example: tuple[str, ...]  # the values of first, of each keyword, of remark
    picked: tuple[int, ...] = ()

    @property
    def content(self) -> str:
        lines = [f"{name}：{{{{keyword{n}.DATA}}}}" for n, name in enumerate(self.keywords, start=1)]
        return "\n".join(["{{first.DATA}}", *lines, "{{remark.DATA}}"])

    @property
    def example_text(self) -> str:
        values = {"first": self.example[0], "remark": self.example[-1]}
        values |= {f"keyword{n}": value for n, value in enumerate(self.example[1:-1], start=1)}
        return _fill(self.content, values)

    @property
    def stored(self) -> str:
        """What an account's row keeps of it: the short id, and the keywords it chose."""
        return self.short_id + (":" + ",".join(map(str, self.picked)) if self.picked else "")

    def pick(self, names: Any) -> Template:
        """The template with the keywords named (WeChat's ``keyword_name_list``), in that order."""
        if names is None:
            return self
        if (
            not isinstance(names, list) or not 1 <= len(names) <= len(self.keywords)
            or len(set(map(str, names))) != len(names) or not all(n in self.keywords for n in names)
        ):  # fmt: skip
            raise WeChatError(40246, f"invalid keyword_name_list: names of {self.short_id}'s keywords, "
                                     f"each once: {'、'.join(self.keywords)}")  # fmt: skip
        numbers = tuple(self.keywords.index(name) + 1 for name in names)
        return self._picked(numbers)

    def _picked(self, numbers: tuple[int, ...]) -> Template:
        examples = (self.example[0], *(self.example[n] for n in numbers), self.example[-1])
        keywords = tuple(self.keywords[n - 1] for n in numbers)
        return Template(self.short_id, self.title, self.industry, keywords, examples, numbers)


def _t(short_id: str, title: str, industry: int, fields: list[tuple[str, str]], first: str, remark: str) -> Template:
    names = tuple(name for name, _ in fields)
    return Template(short_id, title, industry, names, (first, *(value for _, value in fields), remark))


_LIBRARY = [
    _t("TM00015", "订单支付成功", 1, [("订单号", "20261102153012"), ("支付金额", "30.00元"),
                                    ("商品信息", "帆布托特包 ×1")],
       "我们已收到您的货款，开始为您打包商品，请耐心等待", "如有问题请直接在公众号留言，我们将第一时间为您服务"),
    _t("TM00016", "订单发货通知", 1, [("订单号", "20261102153012"), ("快递公司", "顺丰速运"),
                                    ("快递单号", "SF1234567890")],
       "您的订单已发货", "点击查看物流详情"),
    _t("TM00017", "退款成功通知", 1, [("退款金额", "30.00元"), ("退款方式", "原路退回"),
                                    ("到账时间", "1-3个工作日")],
       "您的退款已处理", "如有疑问请联系客服"),
    _t("TM00101", "服务到期提醒", 2, [("服务名称", "云存储 100GB"), ("到期时间", "2026年12月1日")],
       "您的服务即将到期", "续费后服务不会中断"),
    _t("TM00102", "账号登录提醒", 2, [("登录账号", "harbour"), ("登录时间", "2026-11-02 09:40"),
                                    ("登录设备", "Firefox, Linux")],
       "您的账号在新设备上登录", "如非本人操作，请立即修改密码"),
    _t("TM00201", "账户变动提醒", 7, [("交易类型", "消费"), ("交易金额", "128.00元"),
                                    ("交易时间", "2026-11-02 12:30"), ("账户余额", "3,201.50元")],
       "您的账户发生一笔交易", "详情请咨询客服"),
    _t("TM00301", "预订成功通知", 10, [("门店", "港口小馆"), ("用餐时间", "周六 19:00"), ("人数", "4人")],
       "您的订座已确认", "如需取消请提前2小时告知"),
    _t("TM00401", "入住提醒", 11, [("酒店名称", "海湾酒店"), ("入住日期", "11月8日"), ("离店日期", "11月10日")],
       "您预订的酒店明天可以入住", "期待您的光临"),
    _t("TM00402", "购票成功通知", 12, [("项目", "渡轮 北码头—南岛"), ("出发时间", "周六 09:40"), ("数量", "2张")],
       "您的船票已预订成功", "请提前20分钟到码头检票"),
    _t("TM00501", "快件到达通知", 13, [("快递单号", "SF1234567890"), ("取件地点", "东门快递柜"),
                                     ("取件码", "8841")],
       "您的快件已到达", "请在48小时内取件"),
    _t("TM00601", "上课提醒", 16, [("课程名称", "帆船入门"), ("上课时间", "周日 10:00"), ("上课地点", "北码头")],
       "您报名的课程即将开始", "请提前10分钟到达"),
    _t("TM00701", "预约成功通知", 22, [("就诊人", "张三"), ("科室", "眼科"), ("就诊时间", "11月5日 09:30")],
       "您的挂号预约成功", "请携带身份证按时就诊"),
    _t("TM00801", "物业缴费提醒", 30, [("缴费项目", "物业费"), ("应缴金额", "450.00元"),
                                     ("截止日期", "2026年11月30日")],
       "您有一笔物业费待缴", "逾期将产生滞纳金"),
    _t("TM00901", "报名成功通知", 39, [("活动名称", "秋季帆船赛"), ("活动时间", "11月15日 08:00"),
                                     ("活动地点", "港口广场")],
       "您已成功报名", "活动当天请带好身份证件"),
]  # fmt: skip
LIBRARY: dict[str, Template] = {t.short_id: t for t in _LIBRARY}


def from_library(short_id: Any) -> Template:
    """A template of the library by its short id; ``40037`` for one kith does not have."""
    found = LIBRARY.get(short_id) if isinstance(short_id, str) else None
    if found is None:
        raise WeChatError(40037, "invalid template_id_short: kith's library has no such template "
                                 f"(it has {', '.join(LIBRARY)})")  # fmt: skip
    return found


def added(stored: str) -> Template | None:
    """The template an account added, from what its row keeps (``Template.stored``); None if the
    library no longer has it."""
    short_id, _, picked = stored.partition(":")
    template = LIBRARY.get(short_id)
    if template is None or not picked:
        return template
    numbers = tuple(int(n) for n in picked.split(","))
    return template._picked(numbers) if all(1 <= n <= len(template.keywords) for n in numbers) else None


def industry_id(value: Any) -> int:
    """An industry of the list by its number (WeChat's clients send it as a string or an integer)."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 3:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value not in INDUSTRIES:
        raise WeChatError(40102, f"invalid industry id: 1 to {len(INDUSTRIES)} (WeChat's numbering)")
    return value


def _value(field: Any, key: str) -> str:
    value = field.get("value") if isinstance(field, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise WeChatError(47003, f"argument invalid! data.{key}.value must be a string")
    return str(value)[:MAX_VALUE]


def _fill(content: str, values: Mapping[str, str]) -> str:
    """The content with each ``{{key.DATA}}`` replaced once (a value is never read as a placeholder),
    lines of nothing but an empty placeholder left out."""
    out = []
    for line in content.split("\n"):
        filled = FIELD.sub(lambda m: values.get(m.group(1), ""), line)
        if filled.strip() or not FIELD.fullmatch(line.strip()):
            out.append(filled)
    return "\n".join(out).strip()


def render(template: Template, data: Mapping[str, Any], url: str = "") -> str:
    """The text a follower sees: the title, then the content with the values of ``data``; keys the
    template does not have are ignored, keys it has and ``data`` lacks are blank, values are cut at
    ``MAX_VALUE`` characters; the link last."""
    keys = set(FIELD.findall(template.content))
    values = {key: _value(data[key], key) for key in keys if key in data}
    body = _fill(template.content, values)
    return "\n".join(part for part in (template.title, body, url) if part)
