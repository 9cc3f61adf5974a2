"""Word lists for the demo lounge: common Chinese surnames and given-name characters,
foreign names, stores, staff, preferences and complaint texts."""

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "慕容")
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国志红玉兰小梅晓东海燕雪梅子涵"
    "欣怡梓萱浩然宇轩思远嘉怡雨桐一诺若曦俊杰天佑家豪婉清亦菲慧琳佳琪晨曦紫涵诗雨"
)
RARE_CHARS = "龘麤灪爩齉靐𪚥"
FOREIGN = (  # given name, surname, phone as written, gender (the card says Mr or Ms)
    ("Emma", "Laurent", "+33 6 12 34 56 78", "F"), ("Oliver", "Smith", "+44 7911 123456", "M"),
    ("Sophia", "Müller", "+49 151 23456789", "F"), ("Lucas", "Rossi", "+39 312 345 6789", "M"),
    ("Hana", "Sato", "+81 90-1234-5678", "F"), ("Minjun", "Kim", "+82 10-2345-6789", "M"),
    ("Chloé", "Dubois", "+33 7 23 45 67 89", "F"), ("James", "Miller", "+1 (415) 555-0132", "M"),
    ("Isabella", "García", "+34 612 34 56 78", "F"), ("Noah", "Johnson", "+1 212 555 0187", "M"),
    ("Ka Wai", "Chan", "+852 9123 4567", "M"), ("Mei Ling", "Tan", "+65 8123 4567", "F"),
)
FOREIGN_GENDER = {f"{first} {last}": gender for first, last, _, gender in FOREIGN}
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159",
                   "186", "187", "188", "189", "177", "180", "181", "199")
STORES = (
    ("SH01", "上海恒隆广场店", "Asia/Shanghai"),
    ("BJ01", "北京SKP店", "Asia/Shanghai"),
    ("GZ01", "广州太古汇店", "Asia/Shanghai"),
)
STAFF = (
    ("S001", "周婷", "manager"), ("S002", "李娜", "advisor"), ("S003", "陈思远", "advisor"),
    ("S004", "王雅静", "advisor"), ("S005", "张敏", "staff"), ("S006", "刘洋", "staff"),
    ("S007", "赵晨曦", "advisor"), ("S008", "Alice Wong", "advisor"), ("S009", "孙磊", "admin"),
)
PREFERENCES = (
    ("drink", "龙井, 不加冰"), ("drink", "美式咖啡, 少糖"), ("drink", "香槟"),
    ("drink", "普洱"), ("drink", "温水 warm water"), ("drink", "鲜榨橙汁"),
    ("size", "42"), ("size", "M"), ("size", "36"), ("avoid", "10:00 前勿来电"),
    ("avoid", "不喜欢推销电话"), ("interest", "高尔夫"), ("interest", "马术"),
    ("interest", "红酒"), ("interest", "艺术收藏"), ("address_as", "请称呼 X 总"),
    ("interest", "sailing"), ("drink", "sparkling water, no ice"),
)
PURPOSES = ("选购新品", "取货", "维修保养", "试衣", "参加沙龙活动", "咨询", "礼品选购")
OFFERED = ("龙井", "美式咖啡", "香槟", "普洱", "温水", "鲜榨橙汁", "气泡水")
PURCHASES = ("手袋", "腕表", "成衣", "珠宝", "香水礼盒", "皮鞋", "丝巾", "定制西装")
COMPLAINT_CATEGORIES = ("product_quality", "service_attitude", "delivery", "after_sales",
                        "billing")
COMPLAINTS = (
    ("product_quality", "minor", "手袋五金件有划痕, 希望更换"),
    ("service_attitude", "minor", "上次到店等候超过 40 分钟无人接待"),
    ("delivery", "severe", "定制西装延期两周仍未交付, 影响出差"),
    ("after_sales", "minor", "腕表保养后走时偏快"),
    ("billing", "minor", "积分未按活动规则到账"),
)
