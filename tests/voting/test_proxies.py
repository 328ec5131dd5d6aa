"""Written proxies (委托, 《上海市住宅物业管理规定》 Art. 18): recorded online by the owner or from a signed paper
form, at most PROXY_LIMIT held per person and vote, cast as the owner instructed, revoked before use, and
counted as their own channel beside online and paper — through the services and the pages."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from deliberation.audit import AuditEvent
from deliberation.consultations.models import Notification
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid
from deliberation.voting import casting, proxies, results
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import WITHHELD, Ballot, BallotSource, VoteProxy, VoteVoter


def audit_count(session, action: str) -> int:
    return session.execute(select(func.count()).where(AuditEvent.action == action)).scalar()


def proxy_count(session) -> int:
    return session.execute(select(func.count()).select_from(VoteProxy)).scalar()


@pytest.fixture
def owner_vote(make_vote, residents):
    """An owners' vote (each owner once), open."""
    return make_vote(basis="owner")


def test_owner_authorises_online_and_the_proxy_casts_as_instructed(session, owner_vote, residents):
    wang, tenant = residents["wang"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    assert proxy.source == "online" and proxy.instruction == "agree" and proxy.recorded_by_id == wang.id
    result = proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    session.commit()
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == owner_vote.id)).scalar_one()
    assert ballot.voter_key == f"o:{wang.person_id}" and ballot.source == BallotSource.PROXY
    assert ballot.proxy_id == proxy.id and ballot.cast_by_id == tenant.id and result.receipt == ""
    # The receipt is the owner's: shown on their vote page, announced to them.
    _voter, mine = casting.my_ballot(session, wang, owner_vote)
    code = proxies.owner_receipt(owner_vote, mine)
    assert code and ballot.receipt_hash == result.receipt_hash
    from deliberation.voting.receipts import find_receipt
    assert find_receipt(session, owner_vote, code).id == ballot.id
    told = session.execute(select(Notification.text).where(Notification.user_id == wang.id)).scalars().all()
    assert any("受托人已按您的委托" in text for text in told)
    # The owner cannot change the ballot the proxy cast; the proxy cannot cast twice.
    with pytest.raises(Conflict, match="受托人已按委托书投票"):
        casting.cast_ballot(session, wang, owner_vote, "disagree")
    session.rollback()
    with pytest.raises(Conflict, match="已按这份委托投过票"):
        proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")


def test_a_moderator_records_a_paper_form_with_a_photo_and_the_proxy_decides(session, secretary, owner_vote,
                                                                              residents, upload_folder):
    li, zhao = residents["li"], residents["zhao"]
    picture = Image.new("RGB", (40, 30), "white")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    from deliberation.consultations.pictures import clean_picture
    proxy = proxies.record_proxy(session, secretary, owner_vote, li.person_id, zhao.person_id, None,
                                 document=clean_picture(out.getvalue(), "委托书.png"))
    session.commit()
    assert proxy.source == "paper" and proxy.instruction is None and proxy.document
    assert proxies.document_path(secretary, owner_vote, proxy).is_file()
    with pytest.raises(Forbidden):
        proxies.document_path(li, owner_vote, proxy)
    proxies.cast_by_proxy(session, zhao, owner_vote, proxy.id, "disagree")  # 由受托人决定
    session.commit()
    assert session.execute(select(Ballot.choice).where(Ballot.proxy_id == proxy.id)).scalar() == "disagree"


def test_an_owner_who_votes_first_is_counted_as_themselves(session, owner_vote, residents):
    wang, tenant = residents["wang"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    casting.cast_ballot(session, wang, owner_vote, "disagree")
    session.commit()
    with pytest.raises(Conflict, match="业主本人已投票"):
        proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    session.rollback()
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == owner_vote.id)).scalar_one()
    assert (ballot.source, ballot.choice, ballot.proxy_id) == (BallotSource.ONLINE, "disagree", None)


def test_revoke_then_cast_is_refused_and_a_used_proxy_cannot_be_revoked(session, owner_vote, residents):
    wang, li, tenant = residents["wang"], residents["li"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    with pytest.raises(Forbidden):
        proxies.revoke_proxy(session, li, owner_vote, proxy.id)  # not theirs
    proxies.revoke_proxy(session, wang, owner_vote, proxy.id)
    session.commit()
    with pytest.raises(Conflict, match="已撤销"):
        proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    session.rollback()
    assert session.execute(select(func.count()).select_from(Ballot)).scalar() == 0
    # A new one may then be given; once used it stays.
    again = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "abstain")
    proxies.cast_by_proxy(session, tenant, owner_vote, again.id, "abstain")
    session.commit()
    with pytest.raises(Conflict, match="不能再撤销"):
        proxies.revoke_proxy(session, wang, owner_vote, again.id)


@pytest.mark.parametrize(("authorisations", "last_refused"), [
    pytest.param(2, False, id="N-1_all_recorded"),
    pytest.param(3, False, id="N_all_recorded"),
    pytest.param(4, True, id="N+1_the_last_refused"),
])
def test_a_person_holds_at_most_the_limit_per_vote(session, secretary, make_user, community, make_vote,
                                                   authorisations, last_refused):
    owners = [make_user(f"yezhu{n}", community, building="7号楼", room=f"{n + 1}01") for n in range(authorisations)]
    holder = make_user("shouturen", community, tenure="tenant", building="7号楼", room="901")
    vote = make_vote(basis="owner")
    assert proxies.proxy_limit() == 3
    for n, owner in enumerate(owners, start=1):
        if n > 3:
            with pytest.raises(Conflict, match="最多受托 3 份"):
                proxies.record_proxy(session, secretary, vote, owner.person_id, holder.person_id, "agree")
            session.rollback()
            continue
        proxies.record_proxy(session, secretary, vote, owner.person_id, holder.person_id, "agree")
        session.commit()
    assert proxy_count(session) == min(authorisations, 3)
    assert last_refused == (authorisations > 3)


@pytest.mark.parametrize("config_overrides", [{"PROXY_LIMIT": 1}])
def test_the_limit_is_a_setting_and_a_revoked_proxy_frees_its_place(session, secretary, owner_vote, residents):
    wang, li, tenant = residents["wang"], residents["li"], residents["tenant"]
    first = proxies.record_proxy(session, secretary, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    with pytest.raises(Conflict, match="最多受托 1 份"):
        proxies.record_proxy(session, secretary, owner_vote, li.person_id, tenant.person_id, "agree")
    session.rollback()
    proxies.revoke_proxy(session, secretary, owner_vote, first.id)
    proxies.record_proxy(session, secretary, owner_vote, li.person_id, tenant.person_id, "agree")
    session.commit()


def test_refusals_of_the_service(session, secretary, owner_vote, residents, outsider, make_vote):
    wang, li, tenant = residents["wang"], residents["li"], residents["tenant"]
    with pytest.raises(Invalid, match="不在本次表决的业主名册中") as refused:
        proxies.record_proxy(session, secretary, owner_vote, tenant.person_id, li.person_id, "agree")
    assert "owner" in refused.value.fields
    with pytest.raises(Invalid, match="本居民区名册"):
        proxies.record_proxy(session, wang, owner_vote, wang.person_id, outsider.person_id, "agree")
    with pytest.raises(Invalid, match="业主自己"):
        proxies.record_proxy(session, wang, owner_vote, wang.person_id, wang.person_id, "agree")
    with pytest.raises(Invalid) as unknown:
        proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "yes")
    assert "instruction" in unknown.value.fields
    with pytest.raises(Forbidden):  # someone else's owner, online
        proxies.record_proxy(session, li, owner_vote, wang.person_id, tenant.person_id, "agree")
    person_vote = make_vote(basis="person", title="每人一票")
    with pytest.raises(Conflict, match="按业主计票"):
        proxies.record_proxy(session, wang, person_vote, wang.person_id, tenant.person_id, "agree")
    session.rollback()
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    with pytest.raises(Conflict, match="已有一份委托"):
        proxies.record_proxy(session, secretary, owner_vote, wang.person_id, li.person_id, "agree")
    with pytest.raises(Forbidden, match="只能按委托投票"):
        proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "disagree")
    with pytest.raises(Forbidden, match="不是给您的"):
        proxies.cast_by_proxy(session, li, owner_vote, proxy.id, "agree")
    session.rollback()
    assert session.execute(select(func.count()).select_from(Ballot)).scalar() == 0


def test_before_the_opening_the_electorate_as_it_would_be_counted_decides(session, secretary, make_vote, residents):
    from deliberation.voting.lifecycle import open_vote
    draft = make_vote(basis="owner", open_now=False)
    wang, tenant = residents["wang"], residents["tenant"]
    with pytest.raises(Invalid, match="业主名册"):
        proxies.record_proxy(session, secretary, draft, tenant.person_id, wang.person_id, "agree")
    session.rollback()
    proxy = proxies.record_proxy(session, secretary, draft, wang.person_id, tenant.person_id, "agree")
    session.commit()
    open_vote(session, secretary, draft)
    session.commit()
    proxies.cast_by_proxy(session, tenant, draft, proxy.id, "agree")
    session.commit()
    assert session.execute(select(Ballot.voter_key).where(Ballot.proxy_id == proxy.id)).scalar() == \
        f"o:{wang.person_id}"


def test_co_owners_are_one_owner_with_one_proxy(session, secretary, make_vote, residents, community):
    from deliberation.accounts.models import Ownership, Person, Tenure
    from deliberation.voting.lifecycle import open_vote
    wang, li, tenant = residents["wang"], residents["li"], residents["tenant"]
    spouse = Person(community_id=community.id, name="王先生", tenure=Tenure.OWNER, birth_year=1958)
    session.add(spouse)
    session.flush()
    session.add(Ownership(person_id=spouse.id, unit_id=wang.person.household.unit_id))
    session.commit()
    draft = make_vote(basis="owner", open_now=False)
    before = proxies.owner_voter(session, draft, spouse.id)
    assert before == proxies.OwnerVoter(f"o:{wang.person_id}", (wang.person_id, spouse.id))
    proxies.record_proxy(session, secretary, draft, spouse.id, tenant.person_id, None)
    session.commit()
    with pytest.raises(Conflict, match="已有一份委托"):
        proxies.record_proxy(session, wang, draft, wang.person_id, li.person_id, "agree")
    session.rollback()
    open_vote(session, secretary, draft)
    session.commit()
    assert proxies.owner_voter(session, draft, spouse.id) == before


def test_channels_are_counted_side_by_side_without_double_counting(session, secretary, owner_vote, residents,
                                                                   make_user, community):
    wang, li, tenant = residents["wang"], residents["li"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    casting.cast_ballot(session, li, owner_vote, "agree")
    from deliberation.accounts.models import Building
    from deliberation.voting.paper import PaperEntry, enter_paper_ballots
    building = session.execute(select(Building).where(Building.name == "5号楼")).scalar_one()
    outcome, = enter_paper_ballots(session, secretary, owner_vote, building, [PaperEntry("102", "2", line=1)])
    assert outcome.status == "recorded"
    # A paper form for the owner whose proxy voted is set aside, never counted twice.
    building3 = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    again, = enter_paper_ballots(session, secretary, owner_vote, building3, [PaperEntry("302", "2", line=1)])
    assert again.status == "conflict"
    session.commit()
    report = results.report_for(session, owner_vote)
    assert (report.online, report.paper, report.proxy, report.participants) == (1, 1, 1, 3)
    counts = results.live_counts(session, owner_vote, False)
    assert (counts["online"], counts["paper"], counts["proxy"]) == (1, 1, 1)
    close_vote(session, secretary, owner_vote)
    session.commit()
    stored = results.report_for(session, owner_vote)
    assert (stored.online, stored.paper, stored.proxy, stored.participants) == (1, 1, 1, 3)
    assert results.report_as_dict(stored)["proxy"] == 1


def test_a_secret_vote_keeps_no_link_from_the_owner_to_the_choice_after_the_close(session, secretary, make_vote,
                                                                                    residents):
    vote = make_vote(basis="owner", secret=True)
    wang, tenant = residents["wang"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, vote, wang.person_id, tenant.person_id, "disagree")
    session.commit()
    proxies.cast_by_proxy(session, tenant, vote, proxy.id, "disagree")
    session.commit()
    data = session.execute(select(AuditEvent.data).where(AuditEvent.action.in_(
        ["proxy.record", "ballot.proxy_cast"]))).scalars().all()
    assert data and all("disagree" not in str(d) for d in data)
    close_vote(session, secretary, vote)
    session.commit()
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).scalar_one()
    assert ballot.voter_key is None and ballot.proxy_id is None and ballot.cast_by_id is None
    session.refresh(proxy)
    assert proxy.instruction == WITHHELD
    assert proxies.instruction_label(vote, proxy.instruction) != "不同意"
    assert session.get(VoteVoter, (vote.id, f"o:{wang.person_id}")).took_part is True
    assert results.report_for(session, vote).proxy == 1


def test_a_closed_vote_takes_no_proxy(session, secretary, owner_vote, residents):
    wang, tenant = residents["wang"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    session.commit()
    owner_vote.opened_at = utcnow() - timedelta(hours=2)  # its time has passed
    owner_vote.closes_at = utcnow() - timedelta(hours=1)
    session.commit()
    with pytest.raises(Conflict):
        proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    session.rollback()
    with pytest.raises(Conflict, match="已结束"):
        proxies.record_proxy(session, secretary, owner_vote, residents["li"].person_id, tenant.person_id, "agree")


# -- the pages ---------------------------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, format="PNG")
    return out.getvalue()


def test_the_owner_authorises_on_the_page_and_the_proxy_casts_on_theirs(client, login, session, owner_vote,
                                                                         residents):
    tenant = residents["tenant"]
    building_id = tenant.person.household.unit.building_id
    login("wangayi")
    page = client.get(f"/votes/{owner_vote.id}").get_data(as_text=True)
    assert 'id="authorise-link"' in page
    # A wrong name is a field error, shown in plain Chinese, with what was typed kept; nothing written.
    wrong = client.post(f"/votes/{owner_vote.id}/authorise", data={
        "proxy_building_id": building_id, "proxy_room": "303", "proxy_name": "租户甲", "instruction": "agree"})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "名册上找不到这个人" in text and 'value="租户甲"' in text
    assert proxy_count(session) == 0 and audit_count(session, "proxy.refused") == 1
    done = client.post(f"/votes/{owner_vote.id}/authorise", data={
        "proxy_building_id": building_id, "proxy_room": "303", "proxy_name": "zuhu", "instruction": "agree"})
    assert done.status_code == 302
    page = client.get(f"/votes/{owner_vote.id}").get_data(as_text=True)
    assert "您已委托zuhu代为投票，委托意见：同意" in page and 'id="revoke-proxy"' in page
    client.get("/logout")

    login("zuhu")
    assert 'id="proxy-ballot-link"' in client.get(f"/votes/{owner_vote.id}").get_data(as_text=True)
    ballot_page = client.get(f"/votes/{owner_vote.id}/proxy-ballot").get_data(as_text=True)
    assert "委托人：wangayi" in ballot_page and "3号楼302室" in ballot_page and "按委托投票：同意" in ballot_page
    proxy_id = session.execute(select(VoteProxy.id)).scalar()
    against = client.post(f"/votes/{owner_vote.id}/proxy-ballot", data={"proxy_id": proxy_id, "choice": "disagree"})
    assert against.status_code == 303 and audit_count(session, "ballot.proxy_refused") == 1
    assert session.execute(select(func.count()).select_from(Ballot)).scalar() == 0
    cast = client.post(f"/votes/{owner_vote.id}/proxy-ballot", data={"proxy_id": proxy_id, "choice": "agree"})
    assert cast.status_code == 302
    assert "已按委托投票" in client.get(f"/votes/{owner_vote.id}/proxy-ballot").get_data(as_text=True)
    client.get("/logout")

    login("wangayi")
    page = client.get(f"/votes/{owner_vote.id}").get_data(as_text=True)
    assert 'id="proxy-voted"' in page and 'id="proxy-receipt"' in page


def test_a_moderator_records_a_paper_form_with_its_photo_and_revokes_on_the_list(client, login, session,
                                                                                   owner_vote, residents):
    li, zhao = residents["li"], residents["zhao"]
    building_id = li.person.household.unit.building_id
    login("shuji")
    assert 'id="proxy-list-link"' in client.get(f"/votes/{owner_vote.id}").get_data(as_text=True)
    recorded = client.post(f"/votes/{owner_vote.id}/proxies", data={
        "owner_building_id": building_id, "owner_room": "101", "owner_name": "lishushu",
        "proxy_building_id": building_id, "proxy_room": "102室", "proxy_name": "zhaoxiansheng",
        "instruction": "free", "document": (io.BytesIO(_png()), "委托书.png")}, content_type="multipart/form-data")
    assert recorded.status_code == 302, recorded.get_data(as_text=True)[:2000]
    proxy = session.execute(select(VoteProxy)).scalar_one()
    assert (proxy.source, proxy.instruction, proxy.owner_person_id, proxy.proxy_person_id) == (
        "paper", None, li.person_id, zhao.person_id)
    listing = client.get(f"/votes/{owner_vote.id}/proxies").get_data(as_text=True)
    assert "由受托人决定" in listing and "纸质委托书" in listing
    photo = client.get(f"/votes/{owner_vote.id}/proxies/document?proxy={proxy.id}")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    # Over the picture limit or not a picture: the field says why, nothing written.
    bad = client.post(f"/votes/{owner_vote.id}/proxies", data={
        "owner_building_id": building_id, "owner_room": "101", "owner_name": "lishushu",
        "proxy_building_id": building_id, "proxy_room": "102", "proxy_name": "zhaoxiansheng",
        "instruction": "agree", "document": (io.BytesIO(b"not a picture"), "x.png")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "不是 JPEG、PNG 或 WebP 图片" in bad.get_data(as_text=True)
    assert proxy_count(session) == 1
    revoked = client.post(f"/votes/{owner_vote.id}/proxies/revoke", data={"proxy_id": proxy.id, "back": "list"})
    assert revoked.status_code == 302 and revoked.headers["Location"].endswith(f"/votes/{owner_vote.id}/proxies")
    session.expire_all()
    assert session.get(VoteProxy, proxy.id).revoked_by_id is not None
    client.get("/logout")
    login("lishushu")  # the owner sees nothing of the photo
    assert client.get(f"/votes/{owner_vote.id}/proxies/document?proxy={proxy.id}").status_code == 403


def test_the_authorisation_form_prints_the_question_and_the_owners_unit(client, login, owner_vote, tmp_path):
    from tests.voting.test_paper_forms import pages, pdf_text
    login("wangayi")
    response = client.get(f"/votes/{owner_vote.id}/proxy-form.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, info = pdf_text(tmp_path, response.data)
    assert "授权委托书" in text and owner_vote.title in text and "3号楼302室" in text and "wangayi" in text
    assert "由受托人决定" in text and pages(info) == 1 and "595.276 x 841.89" in info  # A4


def test_the_result_page_and_the_minutes_count_the_channels_side_by_side(client, login, session, secretary,
                                                                         owner_vote, residents):
    from deliberation.minutes.contents import assemble
    from deliberation.minutes.render import render_csv
    from deliberation.minutes.wording import vote_facts
    wang, tenant = residents["wang"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    casting.cast_ballot(session, residents["li"], owner_vote, "agree")
    close_vote(session, secretary, owner_vote)
    session.commit()
    login("wangayi")
    page = client.get(f"/votes/{owner_vote.id}/result").get_data(as_text=True)
    assert "网上 1，纸质 0，书面委托 1" in page
    assert 'data-field="proxy">1<' in client.get(f"/votes/{owner_vote.id}/hall").get_data(as_text=True)
    contents = assemble(session, secretary, owner_vote.consultation)
    section = next(v for v in contents.votes if v.title == owner_vote.title)
    assert section.proxy == 1
    assert dict(vote_facts(section))["参与情况"].endswith("（线上 1，纸质 0，书面委托 1）")
    csv = render_csv(contents).decode("utf-8-sig")
    assert "委托" in csv


def test_a_paper_form_against_a_proxy_ballot_says_so_and_settled_for_the_form_unlinks_the_proxy(
        session, secretary, owner_vote, residents):
    from deliberation.accounts.models import Building
    from deliberation.voting.paper import PaperEntry, enter_paper_ballots, open_conflicts
    from deliberation.voting.reconcile import settle_conflicts
    wang, tenant = residents["wang"], residents["tenant"]
    proxy = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    proxies.cast_by_proxy(session, tenant, owner_vote, proxy.id, "agree")
    building = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    outcome, = enter_paper_ballots(session, secretary, owner_vote, building, [PaperEntry("302", "2", line=1)])
    assert outcome.status == "conflict" and "受托人按书面委托投票（同意）" in outcome.message
    settle_conflicts(session, secretary, owner_vote, [c.id for c in open_conflicts(session, owner_vote)], "paper")
    session.commit()
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == owner_vote.id)).scalar_one()
    assert (ballot.source, ballot.choice, ballot.proxy_id) == (BallotSource.PAPER, "disagree", None)
    # The owner's paper form counts now: the authorisation is not used, and cannot be any more.
    assert proxies.my_view(session, owner_vote, proxy.id).state == "owner_voted"


def test_a_proxy_whose_owner_voted_themselves_is_no_longer_shown_as_standing(client, login, session, api_token,
                                                                             secretary, owner_vote, residents):
    """The owner votes online after authorising: their ballot counts and the authorisation can no longer be
    used. The moderator's list says so instead of 有效, the proxy's page offers no ballot for it, the API gives
    its state. Another owner's authorisation, used by the same proxy, stays 已代为投票."""
    wang, li, tenant = residents["wang"], residents["li"], residents["tenant"]
    unused = proxies.record_proxy(session, wang, owner_vote, wang.person_id, tenant.person_id, "agree")
    used = proxies.record_proxy(session, li, owner_vote, li.person_id, tenant.person_id, "disagree")
    session.commit()
    casting.cast_ballot(session, wang, owner_vote, "disagree")
    proxies.cast_by_proxy(session, tenant, owner_vote, used.id, "disagree")
    session.commit()
    states = {p.id: p.state for p in proxies.vote_proxies(session, secretary, owner_vote, page=1).items}
    assert states == {unused.id: "owner_voted", used.id: "cast"}

    login("shuji")
    listing = client.get(f"/votes/{owner_vote.id}/proxies").get_data(as_text=True)
    assert "业主已投票，委托不再使用" in listing and "已代为投票" in listing and ">有效<" not in listing
    client.get("/logout")
    login("zuhu")
    page = client.get(f"/votes/{owner_vote.id}/proxy-ballot").get_data(as_text=True)
    assert "业主已投票，按业主的选票计算，这份委托不再使用。" in page
    assert f'name="proxy_id" value="{unused.id}"' not in page
    client.get("/logout")
    held = client.get(f"/api/v1/votes/{owner_vote.id}/proxies", headers=api_token("zuhu")).get_json()["proxies"]
    assert {p["id"]: p["state"] for p in held} == {unused.id: "owner_voted", used.id: "cast"}
