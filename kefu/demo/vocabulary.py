"""Word lists the demo generator draws from (pure data, written for kefu)."""

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "晨",
    "宇",
    "欣怡",
    "子涵",
    "浩然",
    "雨桐",
    "思远",
    "佳怡",
    "俊杰",
    "梓萱",
]
FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Sophia",
    "Mason",
    "Grace",
    "Daniel",
    "Chloe",
    "Henry",
    "Zoe",
    "Jack",
    "Lily",
    "Owen",
    "Ella",
    "Samuel",
]
LAST_NAMES = [
    "Smith",
    "Brown",
    "Wilson",
    "Taylor",
    "Clark",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Green",
    "Baker",
    "Hill",
    "Scott",
    "Adams",
    "Turner",
    "Parker",
]

DEPARTMENTS = [
    ("billing", "账务部 Billing"),
    ("logistics", "物流部 Logistics"),
    ("tech", "技术支持部 Tech support"),
]
TEAMS = [
    ("presales", "售前组 Pre-sales"),
    ("aftersales", "售后组 After-sales"),
    ("care", "客户关怀组 Customer care"),
]
SKILLS = [
    ("orders", "订单 Orders", "product"),
    ("billing", "账单 Billing", "product"),
    ("devices", "设备 Devices", "product"),
    ("logistics", "配送 Delivery", "product"),
    ("lang_zh", "中文 Chinese", "language"),
    ("lang_en", "英语 English", "language"),
    ("voice", "电话 Voice", "channel"),
    ("webchat", "在线 Web chat", "channel"),
    ("email", "邮件 E-mail", "channel"),
]
QUEUES = [
    # code, name, channel, language, strategy, required skills
    (
        "voice_general",
        "电话综合 Voice general",
        "voice",
        "zh_CN",
        "skill_first",
        [("voice", 2), ("lang_zh", 3)],
    ),
    (
        "chat_presales",
        "在线售前 Chat pre-sales",
        "webchat",
        "zh_CN",
        "idle_first",
        [("webchat", 2), ("orders", 2)],
    ),
    (
        "chat_aftersales",
        "在线售后 Chat after-sales",
        "webchat",
        "zh_CN",
        "skill_first",
        [("webchat", 2), ("devices", 2)],
    ),
    ("email_support", "邮件支持 E-mail support", "email", "zh_CN", "idle_first", [("email", 1)]),
    ("english_support", "英文支持 English support", "webchat", "en", "skill_first", [("lang_en", 3)]),
    ("complaints", "投诉处理 Complaints", "voice", "zh_CN", "skill_first", [("voice", 3), ("billing", 3)]),
]

# Subjects and the first customer line, by ticket type, in both languages.
TOPICS = {
    "inquiry": [
        ("订单什么时候发货?", "When will my order ship?"),
        ("如何修改收货地址", "How do I change my address?"),
        ("会员积分怎么用", "How do I use loyalty points?"),
        ("发票怎么开", "How do I get an invoice?"),
    ],
    "complaint": [
        ("快递员态度很差", "The courier was rude"),
        ("重复扣款", "I was charged twice"),
        ("客服一直不回复", "Nobody answers my messages"),
        ("商品与描述不符", "The item is not as described"),
    ],
    "suggestion": [
        ("希望增加夜间配送", "Please add evening delivery"),
        ("App 希望支持深色模式", "Dark mode in the app"),
        ("建议简化退货流程", "Make returns simpler"),
    ],
    "repair": [
        ("扫地机器人无法充电", "Robot vacuum will not charge"),
        ("耳机左边没声音", "Left earbud is silent"),
        ("屏幕出现坏点", "Dead pixels on the screen"),
    ],
    "refund": [
        ("申请退款", "I want a refund"),
        ("退款还没到账", "My refund has not arrived"),
        ("取消订单退款", "Refund for a cancelled order"),
    ],
}
AGENT_LINES = [
    ("您好,请问有什么可以帮您?", "Hello, how can I help you?"),
    ("我帮您查询一下,请稍等。", "Let me check that for you, one moment."),
    ("已经为您处理好了。", "It is done for you."),
    ("还有其他问题吗?", "Is there anything else I can help with?"),
]
CUSTOMER_LINES = [
    ("好的,谢谢", "OK, thank you"),
    ("订单号是 {order}", "The order number is {order}"),
    ("大概需要多久?", "How long will it take?"),
    ("明白了", "Understood"),
]
SUGGESTION_KINDS = ["product", "process", "service"]

KB_CATEGORIES = [
    ("订单与配送 Orders & delivery", None),
    ("账单与退款 Billing & refunds", None),
    ("设备故障 Device problems", None),
    ("配送时效 Delivery times", 0),
    ("退款规则 Refund rules", 1),
]
KB_ARTICLES = [
    ("如何查询物流进度", "How to track a delivery", 3),
    ("修改收货地址的步骤", "Changing the delivery address", 0),
    ("退款多久到账", "How long refunds take", 4),
    ("重复扣款怎么办", "What to do about a double charge", 1),
    ("发票申请指南", "Requesting an invoice", 1),
    ("扫地机器人无法充电的排查", "Robot vacuum does not charge: checks", 2),
    ("耳机单边无声的处理", "One earbud silent: fixes", 2),
    ("会员积分规则", "Loyalty points rules", 0),
    ("七天无理由退货", "Seven-day no-reason returns", 4),
    ("夜间配送范围", "Evening delivery areas", 3),
    ("保修政策说明", "Warranty policy", 2),
    ("账户安全与改密", "Account security and passwords", 1),
]
# The script library (话术库): (scenario, language, shortcut, title, body with {variables}).
SCRIPTS = [
    ("greeting", "zh", "hi", "问候", "{customer_name}您好，我是客服{agent_name}，很高兴为您服务！"),
    (
        "greeting",
        "en",
        "hi",
        "Greeting",
        "Hello {customer_name}, this is {agent_name}. How can I help you today?",
    ),
    ("product_introduction", "zh", "vip", "会员权益介绍", "成为会员可享受免运费、积分加倍和专属客服。"),
    (
        "product_introduction",
        "en",
        "vip",
        "Membership benefits",
        "Members get free delivery, double points and a dedicated agent.",
    ),
    (
        "objection_handling",
        "zh",
        "price",
        "价格异议",
        "理解您对价格的顾虑，这款产品含两年保修，长期使用更划算。",
    ),
    (
        "objection_handling",
        "en",
        "price",
        "Price objection",
        "I understand the concern; the two-year warranty makes it good value.",
    ),
    (
        "complaint_soothing",
        "zh",
        "sorry",
        "退款延迟安抚",
        "非常抱歉让您久等了，订单{order_id}的退款正在加急处理，预计3个工作日内到账。",
    ),
    (
        "complaint_soothing",
        "en",
        "sorry",
        "Refund delay apology",
        "I am sorry for the wait. The refund for order {order_id} is being rushed; "
        "it should arrive within 3 business days.",
    ),
    ("closing", "zh", "bye", "结束语", "感谢您的耐心，祝您生活愉快！如有其他问题随时联系我们。"),
    ("closing", "en", "bye", "Closing", "Thank you for your patience, {customer_name}. Have a great day!"),
]
