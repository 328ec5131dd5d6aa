"""The demo consultation: 「党群服务站升级改造方案征询」 with two variants, pictures, a closed first round,
the secretary's answers, a joint meeting and a few ideas on the wish wall.

Everything goes through the services (so the audit log is as in real use); afterwards the times
of the first round are moved into the past so the demo reads like a consultation under way.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import update
from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, User
from deliberation.consultations import comments, proposals, sessions
from deliberation.consultations import ideas as idea_ops
from deliberation.consultations.models import Comment, CommentRound, Consultation, Idea, Phase
from deliberation.db import utcnow

TITLE = "党群服务站升级改造方案征询"

BACKGROUND = """居民区党群服务站建于 2009 年，使用面积约 120 平方米，现有一间活动室、一间办公室。
近年来来站里活动的老年居民、带孩子的家庭越来越多，高峰时活动室坐不下，卫生间不便轮椅进出，夏天空调也不够用。

街道今年安排了“15 分钟社区生活圈”改造资金，可用于服务站的升级。\
居委会和设计单位拟了两个方案，请大家看看、提提意见：
方案一在原址内部重新分隔；方案二把相邻的闲置自行车棚并进来，面积更大，但要占用部分非机动车停车位。

意见征集结束后，居委会将召开联席会议，根据大家的意见修改方案，再进入表决。"""

PARTICIPANTS = """居民区党总支、居委会
业委会、物业服务中心（美好家园物业）
街道社区发展办、社区党群服务中心
设计单位：同济规划设计研究院社区规划师团队
居民代表、楼组长"""

PLAN_ONE = """## 方案概要

在原址 **120 平方米** 内重新分隔，不占用室外场地。

- 活动室与办公室之间的隔墙改为折叠门，平时分开，活动时合并为约 80 平方米的大空间
- 新增无障碍卫生间一间（原储藏室改建），入口坡道重做
- 更换空调和照明，增加一处饮水点
- 施工期约 **3 个月**，期间活动暂借居民区睦邻点

## 造价估算

| 项目 | 金额（万元） |
|---|---|
| 土建与隔断 | 18 |
| 无障碍卫生间 | 9 |
| 空调、照明、饮水 | 11 |
| 合计 | 38 |
"""

PLAN_ONE_V2 = """## 方案概要

在原址 **120 平方米** 内重新分隔，不占用室外场地。

- 活动室与办公室之间的隔墙改为折叠门，平时分开，活动时合并为约 80 平方米的大空间
- 新增无障碍卫生间一间（原储藏室改建），入口坡道重做，坡度按 1:12 设计并加装扶手
- 更换空调和照明，增加一处饮水点
- 新增一处可上锁的助动车充电柜（放在室外东侧墙边，不占活动空间）
- 施工期约 **3 个月**，避开春节；期间活动暂借居民区睦邻点，每周公布活动安排

## 造价估算

| 项目 | 金额（万元） |
|---|---|
| 土建与隔断 | 18 |
| 无障碍卫生间与坡道扶手 | 10 |
| 空调、照明、饮水 | 11 |
| 充电柜 | 3 |
| 合计 | 42 |
"""

PLAN_TWO = """## 方案概要

把服务站东侧闲置的自行车棚（约 60 平方米）并入，总面积约 **180 平方米**。

- 新建阳光活动厅，可举办讲座、合唱排练和亲子活动
- 新增无障碍卫生间和母婴室
- 原自行车棚的 30 个车位迁到 8 号楼北侧空地
- 施工期约 **5 个月**

## 需要大家特别考虑的

1. 8 号楼北侧住户可能会觉得车位离家近、有噪声
2. 造价约 **65 万元**，超出街道资金的部分需另行申请

详细图纸可在居委会查阅，也可以参考 [上海市 15 分钟社区生活圈导则](https://www.shanghai.gov.cn/)。
"""


def _rendering(variant: int, view: int) -> bytes:
    """A simple drawn rendering (效果图): sky, the building, windows, trees; no external files."""
    width, height = 1200, 760
    image = Image.new("RGB", (width, height), (214, 232, 246))
    draw = ImageDraw.Draw(image)
    for y in range(0, 420, 6):  # a soft sky
        shade = 246 - y // 12
        draw.rectangle([0, y, width, y + 6], fill=(200 - y // 20, 224 - y // 30, shade))
    draw.rectangle([0, 560, width, height], fill=(176, 196, 150))  # lawn
    draw.rectangle([0, 600, width, 660], fill=(190, 186, 178))  # path
    building_width = 620 if variant == 1 else 900
    left = 120 if view == 1 else 60
    draw.rectangle(
        [left, 250, left + building_width, 600], fill=(238, 226, 210), outline=(120, 100, 90), width=4
    )
    draw.rectangle([left - 20, 230, left + building_width + 20, 258], fill=(179, 38, 30))  # red roof band
    for column in range(left + 40, left + building_width - 80, 110):  # windows
        draw.rectangle([column, 300, column + 70, 380], fill=(150, 196, 230), outline=(90, 90, 90), width=3)
        draw.rectangle([column, 420, column + 70, 500], fill=(150, 196, 230), outline=(90, 90, 90), width=3)
    door = left + building_width // 2 - 40
    draw.rectangle([door, 480, door + 80, 600], fill=(120, 84, 60))
    draw.polygon(
        [(door - 60, 600), (door + 140, 600), (door + 180, 640), (door - 100, 640)], fill=(210, 205, 196)
    )
    if variant == 2:  # the glass hall where the bicycle shed was
        hall = left + building_width - 260
        draw.rectangle([hall, 330, hall + 240, 600], fill=(190, 226, 240), outline=(70, 110, 140), width=4)
        for x in range(hall + 40, hall + 240, 40):
            draw.line([x, 330, x, 600], fill=(70, 110, 140), width=2)
    for tree in range(3):  # trees
        x = 40 + tree * 520 if view == 1 else width - 120 - tree * 300
        draw.rectangle([x + 28, 520, x + 40, 600], fill=(110, 80, 50))
        draw.ellipse([x - 10, 440, x + 80, 540], fill=(72, 140, 80))
    for person in range(4):  # residents walking by
        x = 300 + person * 160 + view * 20
        draw.ellipse([x, 585, x + 18, 603], fill=(80, 60, 50))
        draw.rectangle([x + 2, 603, x + 16, 640], fill=(60, 90, 160) if person % 2 else (200, 90, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load_demo_consultation(
    session: Session, community: Community, secretary: User, residents: Sequence[User]
) -> Consultation:
    """Create the demo session; `residents` should hold at least three resident users of the community."""
    people = list(residents) * (1 + 4 // max(1, len(residents)))
    consultation = sessions.create_consultation(
        session,
        secretary,
        community,
        sessions.ConsultationInput(title=TITLE, background=BACKGROUND, participants=PARTICIPANTS),
    )
    sessions.move_phase(session, secretary, consultation, Phase.COMMENTING)
    plan_one = proposals.create_proposal(
        session,
        secretary,
        consultation,
        "方案一：原址内部改造",
        PLAN_ONE,
        is_variant=True,
        pictures=[(_rendering(1, 1), "方案一-外立面.png"), (_rendering(1, 2), "方案一-入口.png")],
    )
    plan_two = proposals.create_proposal(
        session,
        secretary,
        consultation,
        "方案二：并入自行车棚扩建",
        PLAN_TWO,
        is_variant=True,
        pictures=[(_rendering(2, 1), "方案二-阳光活动厅.png")],
    )

    first = comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=1))
    question = comments.post_comment(
        session,
        people[0],
        consultation,
        "这次升级真的有必要吗？现在的活动室我看也还能用，38 万元不是小数目，能不能先把空调修一修就好？",
        proposal_id=plan_one.id,
    )
    comments.post_comment(
        session,
        secretary,
        consultation,
        "谢谢您的提问。服务站现在每周有 20 多场活动，合唱队、老年大学、四点半课堂都要排队用活动室；"
        "原来的卫生间轮椅进不去，去年有两位坐轮椅的老人只能回家如厕。"
        "改造资金来自街道“15 分钟社区生活圈”专项，"
        "不动用居民的维修资金。空调单独维修也要 6 万元左右，和整体改造一起做更省。",
        parent_id=question.id,
        official_answer=True,
    )
    ramp = comments.post_comment(
        session,
        people[1],
        consultation,
        "支持方案一。入口坡道一定要做缓一点，再装个扶手，我们推轮椅的很需要。",
        proposal_id=plan_one.id,
    )
    shed = comments.post_comment(
        session,
        people[2],
        consultation,
        "方案二的车棚搬到 8 号楼北面，我们 8 号楼的电瓶车充电怎么办？希望先解决充电问题。",
        proposal_id=plan_two.id,
    )
    comments.post_comment(
        session,
        people[3],
        consultation,
        "同意楼上，充电柜要统一规划，不然又要飞线充电了。",
        parent_id=shed.id,
    )
    comments.post_comment(
        session, people[0], consultation, "施工能不能避开春节？过年前后活动最多，老年人都盼着来站里。"
    )
    _support(session, people[1:4], question)
    _support(session, [people[0], people[2]], ramp)
    _support(session, [people[0], people[1]], shed)
    comments.close_round(session, secretary, first)
    # The demo tells of a round held a fortnight ago: move its times and its comments into the past.
    now = utcnow()
    session.execute(
        update(CommentRound)
        .where(CommentRound.id == first.id)
        .values(opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=6))
    )
    session.execute(
        update(Comment).where(Comment.round_id == first.id).values(created_at=now - timedelta(days=15))
    )
    session.expire_all()

    sessions.add_meeting(
        session,
        secretary,
        consultation,
        now - timedelta(days=4),
        "党群服务站二楼会议室",
        "居民区党总支书记、居委会主任；业委会主任；美好家园物业项目经理；街道社区发展办；"
        "同济社区规划师；居民代表 6 人（含 8 号楼楼组长）；社区能人：退休建筑工程师周老师",
        "一、通报第一轮意见征集情况：共收到意见 6 条，"
        "关注点集中在改造必要性、无障碍坡道、电瓶车充电和施工时间。\n"
        "二、设计单位说明方案一可在室外东侧墙边增设充电柜，不占活动空间。\n"
        "三、周老师建议坡道坡度按 1:12 设计并加扶手，设计单位采纳。\n"
        "四、会议商定：方案一出第二版，施工避开春节；方案二暂保留，待街道答复资金后再议。",
    )
    proposals.add_version(
        session,
        secretary,
        plan_one,
        "方案一：原址内部改造",
        PLAN_ONE_V2,
        "根据第一轮意见和联席会议：坡道加扶手、新增充电柜、施工避开春节；造价调整为 42 万元。",
    )

    wish_wall = [
        (
            people[1],
            "服务站能不能设一个共享工具角？",
            "家里修个水龙头、装个挂钩，工具总是不全，借来借去也不方便。希望服务站放一套常用工具，登记借用。",
        ),
        (people[2], "小区里加几张休息长椅", "从菜场回来要走十分钟，中间没有地方坐，老年人拎着菜很吃力。"),
        (
            people[3],
            "四点半课堂希望延长到六点",
            "双职工家庭下班晚，孩子四点半放学后没人照看，能否延长到六点？",
        ),
    ]
    ideas = [idea_ops.post_idea(session, author, community, title, body) for author, title, body in wish_wall]
    for idea, supporters in zip(ideas, (people[:4], people[:2], people[2:4]), strict=True):
        _support(session, supporters, idea)
    idea_ops.answer_idea(
        session, secretary, ideas[1], "已和物业商量，下个月先在 3 号楼和 8 号楼之间的步道旁加装 4 张长椅。"
    )
    session.flush()
    return consultation


def _support(session: Session, users: Sequence[User], target: Comment | Idea) -> None:
    """Each distinct user other than the author supports once."""
    seen = {target.author_id}
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        if isinstance(target, Idea):
            idea_ops.support_idea(session, user, target)
        else:
            comments.support_comment(session, user, target)
