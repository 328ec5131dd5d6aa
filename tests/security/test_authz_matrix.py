"""The authorisation matrix: every rule of the URL map × every actor × objects of their own and of
another community (docs/SECURITY.md, ASVS V8).

The routes come from `app.url_map`, so a new route cannot be forgotten: a rule whose endpoint has
no entry in ACCESS, or whose URL carries a parameter without a factory in PARAMS, fails with a
message saying what to add. For each rule and method:

- anonymous: no answer but a redirect to the sign-in page, 401 or 404 (no link works without a
  login), except PUBLIC and CAPABILITY rules;
- a user of community B asking for an object of community A: 404 and none of A's data, also when
  only one of several URL parameters belongs to A;
- a resident asking for a moderator's rule: 403 or 404, never a 2xx;
- the people allowed: neither 401, 403, 404 nor a 5xx (empty forms may answer 400/409/422).
No answer to anyone outside community A (or to an anonymous visitor) contains A's marker text.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.security.conftest import MARK

PUBLIC = "public"          # anyone, signed in or not
SIGNED_IN = "signed-in"    # any signed-in user; no object of a community in the URL
ADMIN = "admin"            # administrators only
MEMBER = "member"          # users of the object's community (and administrators)
MODERATOR = "moderator"    # moderators of the object's community (and administrators)
CAPTAIN = "captain"        # as MODERATOR, and the community's floor captains (paper forms)
CAPABILITY = "capability"  # a signed, revocable link for calendar apps (tested in test_sessions.py)

# While a vote or survey is open its results are the moderators'; residents see them after closing.
RESULTS_AFTER_CLOSE = {"res_a": {403}, "captain_a": {403}, "res_b": {403}}
# Moderators and administrators hold no person of the roster: they do not answer surveys.
NOT_RESPONDENTS = {"mod_a": {403}, "mod_b": {403}, "admin": {403}}

# endpoint -> (level, {actor: extra statuses accepted from that allowed actor})
ACCESS: dict[str, tuple[str, dict[str, set[int]]]] = {
    "static": (PUBLIC, {}),
    "api-docs.openapi_json": (PUBLIC, {}),
    # accounts
    "home.index": (PUBLIC, {}),
    "accounts.login": (PUBLIC, {}),
    "accounts.register": (PUBLIC, {}),
    "accounts.logout": (PUBLIC, {}),
    "accounts.toggle_care": (PUBLIC, {}),
    "accounts.set_language": (PUBLIC, {}),
    "accounts.account": (SIGNED_IN, {}),
    "accounts.logout_everywhere": (SIGNED_IN, {"*": {302}}),  # signed out everywhere: to the sign-in page
    "accounts.revoke_token": (SIGNED_IN, {"*": {404}}),
    "accounts.communities": (ADMIN, {}),
    "accounts.community": (MEMBER, {}),
    "accounts.roster": (MODERATOR, {}),
    "accounts.roster_import": (MODERATOR, {}),
    # only the moderator who uploaded the file confirms it
    "accounts.roster_import_confirm": (MODERATOR, {"admin": {404}, "mod_b": {404}}),
    "accounts.issue_invites": (MODERATOR, {}),
    "accounts.members": (MODERATOR, {}),
    "accounts.channels": (SIGNED_IN, {}),
    # what was sent and what failed (jobs.records): a delivery of another community answers 404
    "jobs.deliveries": (MODERATOR, {}),
    "jobs.retry": (MODERATOR, {}),
    "accounts.change_role": (ADMIN, {}),  # administrators of the site or of the community
    "api_accounts.create_token": (PUBLIC, {}),
    "api_accounts.me": (SIGNED_IN, {}),
    "api_home.waiting": (SIGNED_IN, {}),
    # One's own tokens: another user's token answers 404 (tests/security/test_sign_outs.py shows whose).
    "api_accounts.tokens": (SIGNED_IN, {}),
    "api_accounts.revoke_token": (SIGNED_IN, {"*": {404}}),
    "api_accounts.community": (MEMBER, {}),
    "api_accounts.import_roster": (MODERATOR, {}),
    "api_accounts.change_role": (ADMIN, {}),  # the example body asks to make a resident a resident: 409
    # consultations
    "consultations.index": (MEMBER, {}),
    "consultations.create": (MODERATOR, {}),
    "consultations.edit": (MODERATOR, {}),
    "consultations.detail": (MEMBER, {}),
    "consultations.move_phase": (MODERATOR, {}),
    "consultations.open_round": (MODERATOR, {}),
    "consultations.close_round": (MODERATOR, {}),
    "consultations.add_meeting": (MODERATOR, {}),
    "consultations.meeting": (MEMBER, {}),
    # the signed link of the meeting's QR code: a member of its community signs in (another's: 404)
    "consultations.meeting_sign_in": (MEMBER, {}),
    "consultations.meeting_sheet": (MODERATOR, {}),
    "consultations.meeting_attendance": (MODERATOR, {}),
    "consultations.add_meeting_department": (MODERATOR, {}),
    "consultations.remove_meeting_department": (MODERATOR, {}),
    "consultations.create_proposal": (MODERATOR, {}),
    "consultations.new_version": (MODERATOR, {}),
    "consultations.proposal": (MEMBER, {}),
    "consultations.picture": (MEMBER, {}),
    "consultations.post_comment": (MEMBER, {}),
    "consultations.reply": (MEMBER, {}),
    "consultations.support": (MEMBER, {}),
    "consultations.report": (MEMBER, {}),
    "consultations.hide": (MODERATOR, {}),
    "consultations.restore": (MODERATOR, {}),
    "consultations.dismiss": (MODERATOR, {}),
    "consultations.moderation": (MODERATOR, {}),
    "consultations.add_blocked_word": (MODERATOR, {}),
    # the first moderator removes the word; the next one finds it gone
    "consultations.remove_blocked_word": (MODERATOR, {"admin": {404}}),
    "consultations.ideas": (MEMBER, {}),
    "consultations.idea": (MEMBER, {}),
    "consultations.support_idea": (MEMBER, {}),
    "consultations.answer_idea": (MODERATOR, {}),
    "consultations.idea_in_progress": (MODERATOR, {}),
    "consultations.merge_idea": (MODERATOR, {}),
    "consultations.promote_idea": (MODERATOR, {}),
    "consultations.notifications": (SIGNED_IN, {}),
    "consultations.read_notifications": (SIGNED_IN, {}),
    "api_consultations.list_consultations": (MEMBER, {}),
    "api_consultations.create_consultation": (MODERATOR, {}),
    "api_consultations.list_ideas": (MEMBER, {}),
    "api_consultations.post_idea": (MEMBER, {}),
    "api_consultations.read_consultation": (MEMBER, {}),
    "api_consultations.update_consultation": (MODERATOR, {}),
    "api_consultations.list_comments": (MEMBER, {}),
    "api_consultations.post_comment": (MEMBER, {}),
    "api_consultations.move_phase": (MODERATOR, {}),
    "api_consultations.create_proposal": (MODERATOR, {}),
    "api_consultations.open_round": (MODERATOR, {}),
    "api_consultations.read_proposal": (MEMBER, {}),
    "api_consultations.add_version": (MODERATOR, {}),
    "api_consultations.support": (MEMBER, {}),
    "api_consultations.withdraw_support": (MEMBER, {}),
    "api_consultations.report": (MEMBER, {}),
    "api_consultations.hide": (MODERATOR, {}),
    "api_consultations.restore": (MODERATOR, {}),
    "api_consultations.support_idea": (MEMBER, {}),
    # booking
    "booking.rooms": (MEMBER, {}),
    "booking.station_week": (MEMBER, {}),
    "booking.room_week": (MEMBER, {}),
    "booking.book": (MEMBER, {}),
    "booking.book_series": (MEMBER, {}),
    "booking.my_bookings": (SIGNED_IN, {}),
    # a booking is cancelled by the one who made it or a moderator
    "booking.cancel": (MEMBER, {"captain_a": {403}, "mod_b": {403}}),
    "booking.queue": (MODERATOR, {}),
    "booking.approve": (MODERATOR, {}),
    "booking.decline": (MODERATOR, {}),
    "booking.room_feed": (MEMBER, {}),
    "booking.user_feed": (CAPABILITY, {}),
    "api_booking.list_rooms": (MEMBER, {}),
    "api_booking.room_availability": (MEMBER, {}),
    "api_booking.create_booking": (MEMBER, {}),
    "api_booking.create_series": (MEMBER, {}),
    "api_booking.get_booking": (MEMBER, {}),
    "api_booking.cancel_booking": (MEMBER, {"captain_a": {403}, "mod_b": {403}}),
    "api_booking.approve_booking": (MODERATOR, {}),
    "api_booking.decline_booking": (MODERATOR, {}),
    # only the one who made the series adds exceptions (or a moderator)
    "api_booking.add_series_exception": (MEMBER, {"captain_a": {403}, "mod_b": {403}}),
    "booking.setup": (MODERATOR, {}),
    "booking.settings": (MODERATOR, {}),
    "booking.new_room": (MODERATOR, {}),
    "booking.room_setup": (MODERATOR, {}),
    "booking.room_update": (MODERATOR, {}),
    "booking.room_hours": (MODERATOR, {}),
    "booking.room_neighbours": (MODERATOR, {}),
    "booking.room_closed_add": (MODERATOR, {}),
    "booking.room_closed_remove": (MODERATOR, {"admin": {404}}),
    "booking.teams": (MODERATOR, {}),
    "booking.team": (MODERATOR, {}),
    "booking.team_member_add": (MODERATOR, {}),
    "booking.team_member_remove": (MODERATOR, {"admin": {404}}),
    # consultations, later additions
    "api_consultations.create_proposal_with_pictures": (MODERATOR, {}),
    "api_consultations.add_version_with_pictures": (MODERATOR, {}),
    "api_consultations.read_picture": (MEMBER, {}),
    # minutes: nothing published yet in the world, so members may get 404 for the document
    "minutes.page": (MEMBER, {}),
    "minutes.document": (MEMBER, {"*": {404}}),
    "minutes.download": (MEMBER, {"*": {404}}),
    "minutes.save_draft": (MODERATOR, {}),
    "minutes.publish": (MODERATOR, {}),
    "api_minutes.get_minutes": (MEMBER, {"*": {404}}),
    "api_minutes.save_draft": (MODERATOR, {}),
    "api_minutes.publish": (MODERATOR, {}),
    # voting
    "voting.create": (MODERATOR, {}),
    "voting.captains": (MODERATOR, {}),
    # the counter (帮办): moderators, and floor captains for the residents of their building; an empty form: 422
    "counter.search": (CAPTAIN, {}),
    "counter.resident": (CAPTAIN, {}),
    "counter.ballot": (CAPTAIN, {"*": {422}}),
    "counter.survey": (CAPTAIN, {"*": {422}}),
    "counter.comment": (CAPTAIN, {"*": {422}}),
    # only the resident a counter comment speaks for revises it (the world's comment is nobody's counter entry)
    "counter.revise": (MEMBER, {"*": {403}}),
    # the API's twin: the example body names person 1, a resident of A (404 to B's moderator with B's objects);
    # its example choice and empty answers are refused as invalid (422)
    "api_counter.record_ballot": (CAPTAIN, {"mod_b": {404}, "*": {422}}),
    "api_counter.record_response": (CAPTAIN, {"mod_b": {404}, "*": {422}}),
    "api_counter.record_comment": (CAPTAIN, {"mod_b": {404}}),
    "voting.revoke_captain": (MODERATOR, {"admin": {404}}),  # revoked by mod_a first
    "voting.detail": (MEMBER, {}),
    "voting.cast": (MEMBER, {}),
    "voting.close_vote": (MODERATOR, {}),
    "voting.open_vote": (MODERATOR, {}),
    "voting.resolve": (MODERATOR, {}),
    "voting.hall": (MEMBER, {}),  # the hall display, shown to residents in the meeting room
    "voting.live_stream": (MEMBER, {}),
    "voting.paper": (CAPTAIN, {}),
    "voting.paper_forms_pdf": (CAPTAIN, {}),
    "voting.settle": (MODERATOR, {}),
    "voting.receipts": (MEMBER, {}),
    "voting.result": (MEMBER, RESULTS_AFTER_CLOSE),
    "voting.unanswered": (CAPTAIN, {}),  # who has not voted yet: for paper forms
    "voting.unanswered_print": (CAPTAIN, {}),  # the same list on A4, for the round of doors
    "voting.notice": (MODERATOR, {}),  # a notice for the wall (公告), to print and post
    "api_voting.create_vote": (MODERATOR, {}),
    "api_voting.list_votes": (MEMBER, {}),
    "api_voting.get_vote": (MEMBER, {}),
    "api_voting.cast_ballot": (MEMBER, {}),
    "api_voting.close_vote": (MODERATOR, {}),
    "api_voting.open_vote": (MODERATOR, {}),
    "api_voting.enter_paper_ballots": (CAPTAIN, {}),
    "api_voting.vote_receipts": (MEMBER, {}),
    "api_voting.vote_result": (MEMBER, RESULTS_AFTER_CLOSE),
    "api_notices.get_notice": (MODERATOR, {}),
    # written proxies (委托): the world's vote counts persons, so none is recorded; a missing one answers 404
    "voting.proxy_list": (MODERATOR, {}),
    "voting.revoke_proxy": (MEMBER, {}),  # the owner or a moderator; refused ones are flashed back
    "voting.authorise": (MEMBER, {}),
    "voting.proxy_ballot": (MEMBER, {}),
    "voting.proxy_document": (MODERATOR, {"*": {404}}),
    "voting.proxy_form_pdf": (MEMBER, {}),
    "api_proxies.list_proxies": (MEMBER, {}),
    "api_proxies.record_proxy": (MEMBER, {}),
    "api_proxies.revoke_proxy": (MEMBER, {"*": {404}}),
    "api_proxies.cast_by_proxy": (MEMBER, {"*": {404}}),
    # the posted roll: the world's vote is the residents' (basis person), so it has no roll to read (404)
    "voting.roll_page": (MEMBER, {"*": {404}}),
    "voting.post_roll": (MODERATOR, {}),
    "voting.lodge_objection": (MEMBER, {"*": {404}}),
    "voting.roll_objections": (MODERATOR, {}),
    "voting.answer_objection": (MODERATOR, {}),
    "api_roll.post_roll": (MODERATOR, {}),
    "api_roll.get_roll": (MEMBER, {"*": {404}}),
    "api_roll.lodge_objection": (MEMBER, NOT_RESPONDENTS),  # objections come from persons of the roster
    "api_roll.list_objections": (MEMBER, {}),
    "api_roll.answer_objection": (MODERATOR, {}),
    # the result posted, then announced (voting.announcement)
    "announcement.objections_page": (MEMBER, {}),  # everyone their own; moderators all
    # the world's objection is the roll's (a result objection's answer pages find no such objection: 404)
    "announcement.answer": (MODERATOR, {"*": {404}}),
    "announcement.announce": (MODERATOR, {}),
    "api_announcement.lodge_objection": (MEMBER, {}),
    "api_announcement.list_objections": (MEMBER, {}),
    "api_announcement.answer_objection": (MODERATOR, {"*": {404}}),
    "api_announcement.announce": (MODERATOR, {}),
    # surveys
    "surveys.index": (MEMBER, {}),
    "surveys.create": (MODERATOR, {}),
    "surveys.detail": (MEMBER, {}),
    "surveys.answer": (MEMBER, NOT_RESPONDENTS),
    "surveys.autosave": (MEMBER, NOT_RESPONDENTS),
    "surveys.builder": (MODERATOR, {}),
    "surveys.edit": (MODERATOR, {}),
    "surveys.close": (MODERATOR, {}),
    "surveys.new_version": (MODERATOR, {}),
    "surveys.paper_entry": (MODERATOR, {}),
    "surveys.paper_pdf": (MODERATOR, {}),
    "surveys.preview": (MODERATOR, {}),
    "surveys.publish": (MODERATOR, {}),
    "surveys.add_question": (MODERATOR, {}),
    "surveys.results": (MEMBER, RESULTS_AFTER_CLOSE),
    "surveys.export": (MODERATOR, {}),
    "surveys.delete_question": (MODERATOR, {"admin": {404}}),  # deleted by mod_a first
    "surveys.edit_question": (MODERATOR, {}),
    "surveys.move_question": (MODERATOR, {}),
    "api_surveys.create_survey": (MODERATOR, {}),
    "api_surveys.read_survey": (MEMBER, {}),
    "api_surveys.publish_survey": (MODERATOR, {}),
    "api_surveys.read_response": (MEMBER, {"*": {404}}),  # nobody has answered yet
    "api_surveys.update_response": (MEMBER, {}),
    "api_surveys.submit_response": (MEMBER, {}),
    "api_surveys.read_results": (MEMBER, RESULTS_AFTER_CLOSE),
    "api_surveys.list_surveys": (MEMBER, {}),
}

# URL parameter -> the kind of object of the world (tests/security/conftest.py) it names
PARAMS: dict[str, str] = {
    "community_id": "community",
    "conflict_id": "conflict",
    "objection_id": "objection",
    "delivery_id": "delivery",
    "consultation_id": "consultation",
    "round_id": "round",
    "proposal_id": "proposal",
    "picture_id": "picture",
    "comment_id": "comment",
    "idea_id": "idea",
    "meeting_id": "meeting",
    "sign_in_token": "meeting_token",
    "word_id": "word",
    "room_id": "room",
    "booking_id": "booking",
    "series_id": "series",
    "upload_id": "upload",
    "token": "feed_token",
    "team_id": "team",
    "token_id": "api_token",
    "closed_id": "closed",
    "user_id": "team_member",
    "vote_id": "vote",
    "survey_id": "survey",
    "question_id": "question",
    "captain_id": "captain",
    "person_id": "person",
    "fmt": "fmt",
    "stage": "notice_stage",
    "notice_format": "notice_format",
}
STATIC_FILE = "css/site.css"

# Who belongs where: admin is treated as a member of A (administrators see every community).
HOME = {"res_a": "A", "captain_a": "A", "mod_a": "A", "admin": "A", "res_b": "B", "mod_b": "B"}
MODERATES = {"mod_a", "mod_b", "admin"}


@cache
def url_rules() -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(rule, endpoint, methods, arguments) for every rule of the app's URL map."""
    from deliberation import create_app
    from tests.conftest import base_config

    app = create_app(base_config("sqlite://"))
    return sorted((r.rule, r.endpoint, tuple(sorted(r.methods - {"HEAD", "OPTIONS"})), tuple(sorted(r.arguments)))
                  for r in app.url_map.iter_rules())


def test_every_route_has_an_access_rule_and_every_parameter_a_factory():
    missing = sorted({endpoint for _rule, endpoint, _m, _a in url_rules() if endpoint not in ACCESS})
    assert not missing, (
        "These endpoints have no entry in ACCESS of tests/security/test_authz_matrix.py: "
        f"{missing}. Add each with who may use it (PUBLIC, SIGNED_IN, MEMBER, MODERATOR, ADMIN, CAPABILITY).")
    unknown = sorted({(rule, arg) for rule, _e, _m, args in url_rules() for arg in args
                      if arg not in PARAMS and arg != "filename"})
    assert not unknown, (
        "These URL parameters have no factory in PARAMS of tests/security/test_authz_matrix.py: "
        f"{unknown}. Add the parameter to PARAMS and make one such object per community in "
        "build_side() of tests/security/conftest.py.")
    stale = sorted(set(ACCESS) - {endpoint for _r, endpoint, _m, _a in url_rules()})
    assert not stale, f"ACCESS names endpoints that no longer exist: {stale}"


def _url(rule: str, args: tuple[str, ...], world, sides: dict[str, str]) -> str:
    url = rule
    for arg in args:
        value = STATIC_FILE if arg == "filename" else world.obj(sides[arg], PARAMS[arg])
        url = re.sub(rf"<(?:[^<>]*:)?{arg}>", str(value), url)
    return url


def _example(schema: dict, spec: dict):
    """A value the OpenAPI schema accepts, so that an API request gets past validation to the
    authorisation check (flask-smorest validates the body before the view runs)."""
    from datetime import UTC, datetime, timedelta

    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        schema = schema["allOf"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    soon = datetime.now(UTC) + timedelta(days=15)
    if kind == "object" or "properties" in schema:
        return {name: _example(sub, spec) for name, sub in schema.get("properties", {}).items()
                if name in schema.get("required", []) and not sub.get("readOnly")}
    if kind == "array":
        return [_example(schema.get("items", {}), spec) for _i in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if fmt == "date":
        return soon.date().isoformat()
    if fmt == "date-time":
        return soon.replace(hour=2, minute=0, second=0, microsecond=0).isoformat()
    if fmt == "time":
        return "10:00"
    return "测试内容" + "字" * max(0, schema.get("minLength", 0) - 4)


@cache
def api_bodies() -> dict[tuple[str, str], dict]:
    """(OpenAPI path, method) -> an example JSON body."""
    from deliberation import create_app
    from tests.conftest import base_config

    app = create_app(base_config("sqlite://"))
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    bodies = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                bodies[("/api/v1" + path, method.upper())] = _example(content["application/json"]["schema"], spec)
    return bodies


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _call(client, headers, method: str, url: str, rule: str = ""):
    api = url.startswith("/api/")
    kwargs = {}
    if method in ("POST", "PUT", "PATCH"):
        kwargs = {"json": api_bodies().get((_openapi_path(rule), method), {})} if api else {"data": {}}
    return client.open(url, method=method, headers=headers if api else {}, **kwargs)


def _to_login(response) -> bool:
    return response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "")


class Matrix:
    def __init__(self, world, clients, level, extra, rule):
        self.world, self.clients, self.level, self.extra, self.rule = world, clients, level, extra, rule
        self.problems: list[str] = []

    def request(self, actor, method, url):
        client, headers = self.clients[actor]
        response = _call(client, headers, method, url, self.rule)
        if response.mimetype == "text/event-stream":
            text = b""  # a live stream never ends: its status is the answer; its events are not read
            response.close()
        else:
            text = response.get_data()
            response.close()  # a file sent by send_file (static, pictures) is closed here
        text += response.headers.get("Location", "").encode()
        where = f"{actor:>9} {method:6} {url} → {response.status_code}"
        if response.status_code >= 500:
            self.problems.append(f"{where}: server error")
        if self.level != CAPABILITY:
            for side, mark in MARK.items():
                if (actor == "anonymous" or HOME[actor] != side) and actor != "admin" and mark.encode() in text:
                    self.problems.append(f"{where}: answer contains data of community {side}")
        return response, where

    def denied(self, actor, method, url, statuses=None):
        response, where = self.request(actor, method, url)
        status = response.status_code
        if status == 422 and url.startswith("/api/") and statuses is not None:
            # The body was refused before the object was looked up: acceptable only when the answer
            # is the same for an object that does not exist (no oracle, no data).
            client, headers = self.clients[actor]
            missing = _call(client, headers, method, re.sub(r"/\d+", "/999999", url), self.rule)
            if missing.status_code == 422 and missing.get_json() == response.get_json():
                return
        if statuses is not None:
            if status not in statuses:
                self.problems.append(f"{where}: expected {sorted(statuses)}")
        elif 200 <= status < 300 or (300 <= status < 400 and not _to_login(response)):
            self.problems.append(f"{where}: expected a refusal")

    def allowed(self, actor, method, url):
        response, where = self.request(actor, method, url)
        status = response.status_code
        if status in self.extra.get(actor, set()) | self.extra.get("*", set()):
            return
        if status in (401, 403, 404) or _to_login(response):
            self.problems.append(f"{where}: refused someone allowed")


def _rule_ids():
    return [f"{endpoint}:{rule}" for rule, endpoint, _m, _a in url_rules()]


@pytest.mark.parametrize("entry", url_rules(), ids=_rule_ids())
def test_authorisation_matrix(entry, world, clients):
    rule, endpoint, methods, args = entry
    assert endpoint in ACCESS, (f"{endpoint} ({rule}) has no entry in ACCESS of "
                                "tests/security/test_authz_matrix.py: add who may use it")
    for arg in args:
        assert arg in PARAMS or arg == "filename", (
            f"URL parameter <{arg}> of {rule} has no factory: add it to PARAMS in "
            "tests/security/test_authz_matrix.py and build one such object per community in "
            "tests/security/conftest.py")
    level, extra = ACCESS[endpoint]
    m = Matrix(world, clients, level, extra, rule)
    own_a = {arg: "A" for arg in args}
    own_b = {arg: "B" for arg in args}
    url_a = _url(rule, args, world, own_a)
    url_b = _url(rule, args, world, own_b)
    for method in methods:
        # 1. anonymous
        if level in (PUBLIC, CAPABILITY):
            m.request("anonymous", method, url_a)
        else:
            m.denied("anonymous", method, url_a)
        if level in (PUBLIC, CAPABILITY, SIGNED_IN):
            for actor in ("res_a", "captain_a", "res_b", "mod_b", "mod_a", "admin"):
                m.allowed(actor, method, url_a) if level != CAPABILITY else m.request(actor, method, url_a)
            continue
        if level == ADMIN:
            for actor in ("res_a", "captain_a", "res_b", "mod_b", "mod_a"):
                m.denied(actor, method, url_a)
            m.allowed("admin", method, url_a)
            continue
        # 2. users of B with objects of A: 404, also when only one parameter belongs to A
        for actor in ("res_b", "mod_b"):
            m.denied(actor, method, url_a, statuses={404})
            if len(args) > 1:
                for arg in args:
                    if arg in PARAMS and world.obj("A", PARAMS[arg]) == world.obj("B", PARAMS[arg]):
                        continue  # the same value on both sides (e.g. an export format)
                    mixed = _url(rule, args, world, {**own_b, arg: "A"})
                    refusals = {404} if actor == "mod_b" or level == MEMBER else {403, 404}
                    m.denied(actor, method, mixed, statuses=refusals)
        # 3. residents of A on moderators' rules: refused (a floor captain may enter paper forms)
        if level == MODERATOR:
            for actor in ("res_a", "captain_a"):
                m.denied(actor, method, url_a, statuses={403, 404})
        elif level == CAPTAIN:
            m.denied("res_a", method, url_a, statuses={403, 404})
            m.allowed("captain_a", method, url_a)
        else:
            for actor in ("res_a", "captain_a"):
                m.allowed(actor, method, url_a)
        # 4. users of B with their own objects
        m.allowed("mod_b", method, url_b)
        if level == MEMBER:
            m.allowed("res_b", method, url_b)
        else:
            m.denied("res_b", method, url_b, statuses={403, 404})
        # 5. the moderator of A and the administrator
        for actor in ("mod_a", "admin"):
            m.allowed(actor, method, url_a)
    assert not m.problems, "\n".join(m.problems)
