"""Small generated bilingual intent sets for the bot's tests (Banking77 is for the benchmark only)."""

import itertools

import pytest

from kefu.bot.intents_csv import IntentExample

ITEMS = ["shoes", "phone", "jacket", "order", "laptop", "book"]
ITEMS_ZH = ["鞋子", "手机", "外套", "订单", "电脑", "书"]

TEMPLATES = {
    "refund": [
        "I want a refund for my {en}",
        "how do I get my money back for the {en}",
        "please refund the {en}",
        "我想申请{zh}退款",
        "{zh}怎么退款",
    ],
    "track_delivery": [
        "where is my {en}",
        "when will my {en} arrive",
        "track the delivery of my {en}",
        "我的{zh}快递到哪了",
        "{zh}物流信息查询",
    ],
    "change_address": [
        "change the delivery address for my {en}",
        "I moved, update the shipping address of the {en}",
        "wrong address on my {en}",
        "修改{zh}的收货地址",
        "{zh}地址填错了",
    ],
    "invoice": [
        "I need an invoice for the {en}",
        "send me a receipt for my {en}",
        "can I get a tax invoice for the {en}",
        "{zh}开发票",
        "我要{zh}的发票",
    ],
    "cancel_order": [
        "cancel my {en} order",
        "I do not want the {en} anymore, cancel it",
        "stop the order for the {en}",
        "取消{zh}订单",
        "我不要{zh}了，帮我取消",
    ],
    "opening_hours": [
        "what time do you open",
        "are you open on sunday",
        "what are your opening hours",
        "你们几点上班",
        "周末营业吗",
    ],
}


def generate_examples(intents=None):
    examples = []
    for intent, templates in TEMPLATES.items():
        if intents is not None and intent not in intents:
            continue
        for template, (en, zh) in itertools.product(templates, zip(ITEMS, ITEMS_ZH, strict=True)):
            text = template.format(en=en, zh=zh)
            examples.append(IntentExample(text, intent))
    return list(dict.fromkeys(examples))


@pytest.fixture(scope="session")
def examples():
    return generate_examples()


@pytest.fixture(scope="session")
def trained(examples):
    from kefu.bot.classifier import IntentClassifier

    return IntentClassifier().fit(examples)
