"""The GrowthExperiments stand-in (tests/growth_standin) honours the contract of growth-facts.md.

Everything goes over real HTTP to the test wiki, with plain requests (tests.wikiclient).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import DevWiki
from tests.wikiclient import WikiClient

PASSWORD = "Standin-test-password-0001"
MENTOR_PAGE = "MediaWiki:GrowthMentors.json"
CONFIG_PAGE = "MediaWiki:GrowthExperimentsMentorship.json"
SCHEMA_ERROR = "communityconfiguration-schema-validation-error"


# --- helpers -----------------------------------------------------------------------------------

def signup(wiki: DevWiki, name: str) -> int:
    """A local signup, as an anonymous visitor would do it."""
    return wiki.anonymous().create_account(name, PASSWORD)


def login(wiki: DevWiki, name: str) -> WikiClient:
    return WikiClient(wiki.api).login(name, PASSWORD)


def manage(client: WikiClient, geaction: str, **params: Any) -> dict[str, Any]:
    return client.post("growthmanagementorlist", check=False, geaction=geaction, **params)


def error_code(result: dict[str, Any]) -> str:
    assert "error" in result, result
    return str(result["error"]["code"])


def mentor_list(wiki: DevWiki) -> Any:
    return wiki.anonymous().get(list="growthmentorlist")["growthmentorlist"]


def mentees_of(wiki: DevWiki, mentor: str) -> list[dict[str, Any]]:
    result = wiki.anonymous().get(list="growthmentormentee", gemmmentor=mentor)["growthmentormentee"]
    assert result["mentor"] == mentor
    return list(result["mentees"])


def mentor_of(wiki: DevWiki, *mentees: str) -> list[str]:
    """{{#mentor:}} for several users in one expandtemplates call."""
    text = "\n".join(f"{{{{#mentor:{name}}}}}" for name in mentees)
    out = wiki.anonymous().get(action="expandtemplates", prop="wikitext", text=text)
    return str(out["expandtemplates"]["wikitext"]).split("\n")


def rows(wiki: DevWiki) -> list[tuple[int, str, int, int]]:
    """growthexperiments_mentor_mentee, read straight from the wiki's SQLite file."""
    database = sqlite3.connect(f"file:{wiki.dir / 'data' / 'my_wiki.sqlite'}?mode=ro", uri=True)
    try:
        found = database.execute(
            "SELECT gemm_mentee_id, CAST(gemm_mentor_role AS TEXT), gemm_mentor_id,"
            " gemm_mentee_is_active FROM growthexperiments_mentor_mentee ORDER BY 1, 2"
        ).fetchall()
    finally:
        database.close()
    return [(int(a), str(b), int(c), int(d)) for a, b, c, d in found]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def option(client: WikiClient, name: str) -> Any:
    return client.get(meta="userinfo", uiprop="options")["query"]["userinfo"]["options"].get(name)


# --- 1, 2: registration ------------------------------------------------------------------------

def test_rights_grant_log_type_options_and_table_are_registered(wiki: DevWiki) -> None:
    anon = wiki.anonymous()
    groups = {g["name"]: set(g["rights"]) for g in
              anon.get(meta="siteinfo", siprop="usergroups")["query"]["usergroups"]}
    assert {"managementors", "setmentor"} <= groups["sysop"]
    assert "enrollasmentor" in groups["user"]
    assert not {"managementors", "setmentor"} & groups["user"]

    bot = WikiClient(wiki.api).login(wiki.bot_user, wiki.bot_password)
    rights = set(bot.get(meta="userinfo", uiprop="rights")["query"]["userinfo"]["rights"])
    assert {"managementors", "setmentor", "enrollasmentor"} <= rights  # via grant managementorship

    logs = anon.get(list="logevents", letype="growthexperiments")
    assert "warnings" not in logs and logs["query"]["logevents"] == []
    for action in ("setmentor", "setmentor-no-previous-mentor", "claimmentee",
                   "claimmentee-no-previous-mentor"):
        assert "warnings" not in anon.get(list="logevents", leaction=f"growthexperiments/{action}")

    signup(wiki, "Fresh")
    options = login(wiki, "Fresh").get(meta="userinfo", uiprop="options")["query"]["userinfo"]["options"]
    assert int(options["growthexperiments-homepage-mentorship-enabled"]) == 1
    assert options.get("growthexperiments-mentor-away-timestamp") in (None, "")

    database = sqlite3.connect(f"file:{wiki.dir / 'data' / 'my_wiki.sqlite'}?mode=ro", uri=True)
    try:
        columns = {r[1]: (r[2].upper(), r[5]) for r in
                   database.execute("PRAGMA table_info(growthexperiments_mentor_mentee)")}
    finally:
        database.close()
    assert columns == {
        "gemm_mentee_id": ("INT UNSIGNED", 1), "gemm_mentor_role": ("VARBINARY(255)", 2),
        "gemm_mentor_id": ("INT UNSIGNED", 0), "gemm_mentee_is_active": ("TINYINT", 0),
    }


# --- 3: validation of the mentor list page ------------------------------------------------------

@pytest.mark.parametrize(("document", "named"), [
    ({"Mentors": {"1": {"colour": "blue"}}}, "Mentors.1.colour"),
    ({"Mentors": {"Admin": {}}}, "Mentors.Admin"),
    ({"Mentors": {"1": {"weight": "2"}}}, "Mentors.1.weight"),
    ({"Mentors": {"1": {"weight": 2.5}}}, "Mentors.1.weight"),
    ({"Mentors": {"1": {"message": "x" * 241}}}, "Mentors.1.message"),
    ({"Mentors": {}, "Extra": 1}, "Extra"),
    ({"Mentors": {"1": {"automaticallyAssigned": "no"}}}, "Mentors.1.automaticallyAssigned"),
])
def test_a_direct_edit_breaking_the_schema_is_refused_naming_the_key(
    wiki: DevWiki, document: dict[str, Any], named: str
) -> None:
    admin = wiki.admin()
    result = admin.post("edit", check=False, title=MENTOR_PAGE, text=json.dumps(document))
    assert error_code(result) == SCHEMA_ERROR
    assert named in result["error"]["info"]
    assert admin.page_text(MENTOR_PAGE) is None


def test_a_valid_direct_edit_is_accepted_untagged_and_does_not_make_anyone_away(wiki: DevWiki) -> None:
    admin = wiki.admin()
    mentor_id = signup(wiki, "Mentor Direct")
    away = iso(datetime.now(UTC) + timedelta(days=30))
    document = {"Mentors": {str(mentor_id): {"message": "x" * 240, "weight": 4, "awayTimestamp": away,
                                             "username": "Stale name"}}}
    admin.edit(MENTOR_PAGE, json.dumps(document))
    revision = admin.get(prop="revisions", titles=MENTOR_PAGE, rvprop="tags")["query"]["pages"][0]
    assert revision["revisions"][0]["tags"] == []
    listed = mentor_list(wiki)[str(mentor_id)]
    assert listed == {"message": "x" * 240, "weight": 4, "awayTimestamp": away, "username": "Mentor Direct"}
    # The away state that matters is the user option: the direct edit did not set it.
    signup(wiki, "Direct Mentee")
    assert mentor_of(wiki, "Direct Mentee") == ["Mentor Direct"]


# --- 4, 7: growthmentorlist and growthmanagementorlist -----------------------------------------

def test_empty_list_is_an_empty_array_and_needs_no_login(wiki: DevWiki) -> None:
    raw = wiki.anonymous().session.get(wiki.api, params={
        "action": "query", "list": "growthmentorlist", "format": "json"}).json()
    assert raw["growthmentorlist"] == []
    assert "query" not in raw or "growthmentorlist" not in raw["query"]


def test_add_change_remove_write_the_page_and_the_list(wiki: DevWiki) -> None:
    admin = wiki.admin()
    alice = signup(wiki, "Alice")
    bob = signup(wiki, "Bob")

    added = manage(admin, "add", username="Alice", message="Ask me", weight="4", summary="welcome")
    assert added == {"growthmanagementorlist": {"status": "ok", "mentor": {
        "message": "Ask me", "weight": 4, "awayTimestamp": None, "awayTimestampHuman": None,
        "automaticallyAssigned": True}}}
    manage(admin, "add", username="Bob")
    assert mentor_list(wiki) == {
        str(alice): {"message": "Ask me", "weight": 4, "username": "Alice"},
        str(bob): {"message": None, "weight": 2, "username": "Bob"},
    }
    page = json.loads(admin.page_text(MENTOR_PAGE) or "")
    assert page == {"Mentors": {
        str(alice): {"message": "Ask me", "weight": 4, "username": "Alice"},
        str(bob): {"message": None, "weight": 2, "username": "Bob"},
    }}
    history = admin.get(prop="revisions", titles=MENTOR_PAGE, rvprop="tags|comment|user",
                        rvlimit="max")["query"]["pages"][0]["revisions"]
    assert [r["comment"] for r in history] == [
        "/* growthexperiments-manage-mentors-summary-add-admin-no-reason:Bob| */",
        "/* growthexperiments-manage-mentors-summary-add-admin-with-reason:Alice|welcome */",
    ]
    assert all(r["tags"] == ["mentor list change"] and r["user"] == wiki.admin_user for r in history)

    # change keeps what it is not given; an empty message means the default text again
    manage(admin, "change", username="Alice", weight="0")
    assert mentor_list(wiki)[str(alice)] == {"message": "Ask me", "weight": 0, "username": "Alice"}
    changed = manage(admin, "change", username="Alice", message="")
    assert changed["growthmanagementorlist"]["mentor"]["automaticallyAssigned"] is False
    assert mentor_list(wiki)[str(alice)]["message"] is None

    removed = manage(admin, "remove", username="Bob")
    assert removed["growthmanagementorlist"]["status"] == "ok"
    assert list(mentor_list(wiki)) == [str(alice)]
    manage(admin, "remove", username="Alice")
    assert mentor_list(wiki) == []


def test_manage_errors(wiki: DevWiki) -> None:
    admin = wiki.admin()
    signup(wiki, "Carol")
    assert error_code(manage(admin, "add", username="Nobody at all")) == \
        "growthexperiments-mentor-writer-error-anonymous-user"
    assert error_code(manage(admin, "change", username="Carol")) == \
        "growthexperiments-mentor-writer-error-not-in-the-list"
    assert error_code(manage(admin, "remove", username="Carol")) == \
        "growthexperiments-mentor-writer-error-not-in-the-list"
    manage(admin, "add", username="Carol")
    assert error_code(manage(admin, "add", username="Carol")) == \
        "growthexperiments-mentor-writer-error-already-added"
    assert error_code(manage(admin, "change", username="Carol", weight="3")) == "badvalue"
    assert error_code(manage(admin, "change", username="Carol", message="x" * 241)) == SCHEMA_ERROR
    assert error_code(manage(admin, "change", username="Carol", isaway="1")) == "away-timestamp"
    too_far = iso(datetime.now(UTC) + timedelta(days=366))
    assert error_code(manage(admin, "change", username="Carol", isaway="1", awaytimestamp=too_far)) == \
        "growthexperiments-mentor-dashboard-mentor-tools-away-dialog-error-toohigh"
    token = admin.get(meta="tokens")["query"]["tokens"]["csrftoken"]
    as_get = admin.get(action="growthmanagementorlist", geaction="change", username="Carol", token=token)
    assert error_code(as_get) == "mustpostparams"
    no_token = admin.session.post(wiki.api, data={"action": "growthmanagementorlist", "geaction": "change",
                                                  "username": "Carol", "format": "json"}).json()
    assert error_code(no_token) == "missingparam"


def test_users_manage_themselves_and_need_managementors_for_others(wiki: DevWiki) -> None:
    signup(wiki, "Dora")
    signup(wiki, "Eve")
    dora = login(wiki, "Dora")
    assert manage(dora, "add", message="Hello")["growthmanagementorlist"]["status"] == "ok"
    assert error_code(manage(dora, "add", username="Eve")) == "permissiondenied"
    assert error_code(manage(dora, "change", username="Dora", weight="1")) == "permissiondenied"
    assert manage(dora, "change", weight="1")["growthmanagementorlist"]["mentor"]["weight"] == 1
    history = dora.get(prop="revisions", titles=MENTOR_PAGE, rvprop="comment|user")["query"]["pages"][0]
    assert history["revisions"][0] == {
        "user": "Dora", "comment": "/* growthexperiments-manage-mentors-summary-change-self-no-reason:Dora| */"}
    assert manage(dora, "remove")["growthmanagementorlist"]["status"] == "ok"
    assert mentor_list(wiki) == []
    assert error_code(wiki.anonymous().post("growthmanagementorlist", check=False, geaction="add")) == \
        "permissiondenied"


def test_a_change_without_isaway_makes_an_away_mentor_active_again(wiki: DevWiki) -> None:
    admin = wiki.admin()
    mentor_id = signup(wiki, "Frank")
    frank = login(wiki, "Frank")
    manage(admin, "add", username="Frank")
    back = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)

    away = manage(admin, "change", username="Frank", isaway="1", awaytimestamp=iso(back))
    mentor = away["growthmanagementorlist"]["mentor"]
    assert mentor["awayTimestamp"] == back.strftime("%Y%m%d%H%M%S")
    assert mentor["awayTimestampHuman"]
    assert mentor_list(wiki)[str(mentor_id)]["awayTimestamp"] == iso(back)
    assert option(frank, "growthexperiments-mentor-away-timestamp") == back.strftime("%Y%m%d%H%M%S")
    signup(wiki, "While Away")
    assert mentor_of(wiki, "While Away") == [""]  # the only mentor is away

    # the trap: a plain change (here the message) silently ends the away period
    manage(admin, "change", username="Frank", message="Back early?")
    assert "awayTimestamp" not in mentor_list(wiki)[str(mentor_id)]
    assert option(frank, "growthexperiments-mentor-away-timestamp") in (None, "")
    signup(wiki, "After Change")
    assert mentor_of(wiki, "After Change") == ["Frank"]

    # a boolean parameter is true whenever present: isaway=0 means away
    manage(admin, "change", username="Frank", isaway="0", awaytimestamp=iso(back))
    assert mentor_list(wiki)[str(mentor_id)]["awayTimestamp"] == iso(back)


def test_remove_does_not_reassign_mentees(wiki: DevWiki) -> None:
    admin = wiki.admin()
    gina_id = signup(wiki, "Gina")
    manage(admin, "add", username="Gina")
    mentee_id = signup(wiki, "Gina's Mentee")
    assert mentees_of(wiki, "Gina") == [{"name": "Gina's Mentee", "id": mentee_id}]

    manage(admin, "remove", username="Gina")
    assert mentor_list(wiki) == []
    assert mentees_of(wiki, "Gina") == [{"name": "Gina's Mentee", "id": mentee_id}]
    assert mentor_of(wiki, "Gina's Mentee") == ["Gina"]
    assert (mentee_id, "primary", gina_id, 1) in rows(wiki)


# --- 5, 6: growthmentormentee and {{#mentor:}} ---------------------------------------------------

def test_mentee_list_and_parser_function(wiki: DevWiki) -> None:
    admin = wiki.admin()
    hana_id = signup(wiki, "Hana")
    manage(admin, "add", username="Hana")
    first = signup(wiki, "Mentee One")
    second = signup(wiki, "Mentee Two")
    assert mentees_of(wiki, "Hana") == [{"name": "Mentee One", "id": first},
                                        {"name": "Mentee Two", "id": second}]
    by_id = wiki.anonymous().get(list="growthmentormentee", gemmmentor=f"#{hana_id}")
    assert by_id["growthmentormentee"]["mentor"] == "Hana"
    assert mentees_of(wiki, "Nobody at all") == []
    assert mentees_of(wiki, wiki.admin_user) == []

    # several lookups in one call; unknown users, users without a row and opted-out users are empty
    login(wiki, "Mentee Two").post("options", change="growthexperiments-homepage-mentorship-enabled=2")
    assert mentor_of(wiki, "Mentee One", "Mentee Two", "Nobody at all", wiki.admin_user, "Hana") == \
        ["Hana", "", "", "", ""]
    # looking up never assigns
    assert not [r for r in rows(wiki) if r[0] == 1]


# --- 8: growthsetmentor -------------------------------------------------------------------------

def test_setmentor_writes_the_row_and_a_log_entry(wiki: DevWiki) -> None:
    admin = wiki.admin()
    signup(wiki, "Ivan")
    signup(wiki, "Judy")
    manage(admin, "add", username="Ivan")
    mentee_id = signup(wiki, "Kim")
    assert mentor_of(wiki, "Kim") == ["Ivan"]

    moved = admin.post("growthsetmentor", mentee="Kim", mentor="Judy", reason="Judy speaks Korean")
    assert moved == {"growthsetmentor": {"status": "ok", "mentee": "Kim", "newMentor": "Judy",
                                         "oldMentor": "Ivan"}}
    assert mentor_of(wiki, "Kim") == ["Judy"]  # Judy is not even a listed mentor
    assert mentees_of(wiki, "Judy") == [{"name": "Kim", "id": mentee_id}]
    first = admin.post("growthsetmentor", mentee=wiki.admin_user, mentor="Ivan")
    assert first["growthsetmentor"]["oldMentor"] is False

    entries = wiki.anonymous().get(list="logevents", letype="growthexperiments",
                                   leprop="type|title|user|comment|details")["query"]["logevents"]
    assert entries == [
        {"type": "growthexperiments", "action": "setmentor-no-previous-mentor", "ns": 2,
         "title": f"User:{wiki.admin_user}", "user": wiki.admin_user, "comment": "",
         "params": {"new-mentor": "Ivan"}},
        {"type": "growthexperiments", "action": "setmentor", "ns": 2, "title": "User:Kim",
         "user": wiki.admin_user, "comment": "Judy speaks Korean",
         "params": {"previous-mentor": "Ivan", "new-mentor": "Judy"}},
    ]

    assert error_code(admin.post("growthsetmentor", check=False, mentee="Kim", mentor="Judy")) == \
        "growthexperiments-homepage-claimmentee-already-mentor"
    assert error_code(admin.post("growthsetmentor", check=False, mentee="Kim", mentor="Nobody at all")) == \
        "nosuchuser"
    kim = login(wiki, "Kim")
    assert error_code(kim.post("growthsetmentor", check=False, mentee="Kim", mentor="Judy")) == \
        "permissiondenied"  # Judy is not a listed mentor, and Kim lacks setmentor
    kim.post("options", change="growthexperiments-homepage-mentorship-enabled=2")
    assert error_code(admin.post("growthsetmentor", check=False, mentee="Kim", mentor="Ivan")) == \
        "growthexperiments-homepage-claimmentee-opt-out"
    assert not [r for r in rows(wiki) if r[0] == mentee_id]


def test_claiming_a_mentee_logs_claimmentee_without_new_mentor(wiki: DevWiki) -> None:
    admin = wiki.admin()
    signup(wiki, "Leo")
    manage(admin, "add", username="Leo")
    signup(wiki, "Claimed")
    manage(admin, "remove", username="Leo")
    signup(wiki, "Mia")
    manage(admin, "add", username="Mia")
    claimed = login(wiki, "Mia").post("growthsetmentor", mentee="Claimed", mentor="Mia")
    assert claimed["growthsetmentor"]["oldMentor"] == "Leo"
    entry = wiki.anonymous().get(list="logevents", letype="growthexperiments",
                                 leprop="type|user|details")["query"]["logevents"][0]
    assert entry["action"] == "claimmentee" and entry["user"] == "Mia"
    assert entry["params"] == {"previous-mentor": "Leo"}


# --- 10: assignment at signup -------------------------------------------------------------------

def test_signup_assigns_by_weight_skipping_weight_zero_and_away_mentors_but_not_blocked_ones(wiki: DevWiki) -> None:
    admin = wiki.admin()
    ids = {name: signup(wiki, name) for name in ("Heavy", "Manual", "Holiday")}
    manage(admin, "add", username="Heavy", weight="4")
    manage(admin, "add", username="Manual", weight="0")
    back = iso(datetime.now(UTC) + timedelta(days=10))
    manage(admin, "add", username="Holiday", weight="4", isaway="1", awaytimestamp=back)

    mentee = signup(wiki, "Newcomer")
    assert [r for r in rows(wiki) if r[0] == mentee] == [(mentee, "primary", ids["Heavy"], 1)]

    # a second free mentor becomes the backup
    manage(admin, "change", username="Holiday", weight="1")
    second = signup(wiki, "Second Newcomer")
    assert [r for r in rows(wiki) if r[0] == second] == [
        (second, "backup", ids["Holiday"], 1), (second, "primary", ids["Heavy"], 1),
    ] or [r for r in rows(wiki) if r[0] == second] == [
        (second, "backup", ids["Heavy"], 1), (second, "primary", ids["Holiday"], 1),
    ]

    # GE's draw skips mentors away by date, not blocked or locked ones (those count as away elsewhere)
    manage(admin, "change", username="Holiday", isaway="1", awaytimestamp=back)
    admin.post("block", user="Heavy", expiry="2 days")
    third = signup(wiki, "Third Newcomer")
    assert [r for r in rows(wiki) if r[0] == third] == [(third, "primary", ids["Heavy"], 1)]

    # with every auto-assigned mentor away, nobody is assigned
    admin.post("unblock", user="Heavy")
    manage(admin, "change", username="Heavy", isaway="1", awaytimestamp=back)
    fourth = signup(wiki, "Fourth Newcomer")
    assert [r for r in rows(wiki) if r[0] == fourth] == []
    assert mentor_of(wiki, "Fourth Newcomer") == [""]


def test_signup_skips_tilde_two_names_but_not_other_tilde_names(wiki: DevWiki) -> None:
    admin = wiki.admin()
    signup(wiki, "Olga")
    manage(admin, "add", username="Olga")
    # MediaWiki reserves "~" names by default; lift that so a local "~2..." signup is possible
    with wiki.extra_settings("$wgAutoCreateTempUser['reservedPattern'] = null;"):
        tilde_two = signup(wiki, "~2Local")
        tilde_other = signup(wiki, "~Legacy")
    assert [r for r in rows(wiki) if r[0] == tilde_two] == []
    assert [r[1] for r in rows(wiki) if r[0] == tilde_other] == ["primary"]


def test_temporary_accounts_get_no_mentor(wiki: DevWiki) -> None:
    admin = wiki.admin()
    signup(wiki, "Pia")
    manage(admin, "add", username="Pia")
    with wiki.extra_settings("$wgAutoCreateTempUser['enabled'] = true;"):
        anon = wiki.anonymous()
        anon.post("edit", title="Sandbox", text="hello")
        temp_name = anon.get(meta="userinfo")["query"]["userinfo"]["name"]
        temp_id = anon.user_id(temp_name)
    assert temp_name.startswith("~2")
    assert [r for r in rows(wiki) if r[0] == temp_id] == []


# --- 11: blocks ---------------------------------------------------------------------------------

def test_an_indefinite_block_drops_both_rows_a_temporary_one_keeps_them(wiki: DevWiki) -> None:
    admin = wiki.admin()
    signup(wiki, "Quinn")
    signup(wiki, "Rosa")
    manage(admin, "add", username="Quinn")
    manage(admin, "add", username="Rosa")
    partial = signup(wiki, "Partial")
    temporary = signup(wiki, "Temporary")
    assert len([r for r in rows(wiki) if r[0] in (partial, temporary)]) == 4

    admin.post("block", user="Partial", expiry="infinite", partial="1",
               pagerestrictions="Main Page", allowusertalk="1")
    admin.post("block", user="Temporary", expiry="1 week")
    assert [r[0] for r in rows(wiki) if r[0] in (partial, temporary)] == [temporary, temporary]
    assert mentor_of(wiki, "Partial", "Temporary")[0] == ""
    assert mentor_of(wiki, "Partial", "Temporary")[1] in ("Quinn", "Rosa")
    assert partial not in [m["id"] for name in ("Quinn", "Rosa") for m in mentees_of(wiki, name)]
    assert wiki.anonymous().get(list="logevents", letype="growthexperiments")["query"]["logevents"] == []

    admin.post("unblock", user="Partial")
    assert [r for r in rows(wiki) if r[0] == partial] == []  # unblocking restores nothing


# --- 9: community configuration -----------------------------------------------------------------

DEFAULTS = {
    "GEMentorshipEnabled": False, "GEMentorshipAutomaticEligibility": True,
    "GEMentorshipMinimumAge": 90, "GEMentorshipMinimumEditcount": 500,
    "GEPersonalizedPraiseDays": 7, "GEPersonalizedPraiseDefaultNotificationsFrequency": 168,
    "GEPersonalizedPraiseMaxEdits": 500, "GEPersonalizedPraiseMinEdits": 8,
    "GEMentorshipStartOptedOutThresholds": {"enabled": False, "minEditcount": 500, "minTenureInDays": 30},
    "GEMentorshipShouldBeAutoawayed": False, "GEMentorshipAutoawayedAfterDays": 10,
    "GEMentorshipShouldBeAutoremoved": False, "GEMentorshipAutoremovedAfterDays": 90,
}


def test_community_configuration_merges_the_page_over_the_defaults(wiki: DevWiki) -> None:
    anon = wiki.anonymous()
    assert anon.get(meta="communityconfiguration", ccrprovider="Mentorship") == {
        "batchcomplete": True, "communityconfiguration": {"data": DEFAULTS}}

    admin = wiki.admin()
    admin.edit(CONFIG_PAGE, json.dumps({
        "$version": "1.0.0", "GEMentorshipEnabled": True, "GEMentorshipShouldBeAutoremoved": True,
        "GEMentorshipStartOptedOutThresholds": {"enabled": True}}))
    # as in CommunityConfiguration: a page carrying a version must be read with that version
    unasserted = anon.get(meta="communityconfiguration", ccrprovider="Mentorship")
    assert error_code(unasserted) == "communityconfiguration-version-assertion-failure"
    read = anon.get(meta="communityconfiguration", ccrprovider="Mentorship", ccrassertversion="1.0.0")
    assert read["communityconfiguration"] == {"version": "1.0.0", "data": {
        **DEFAULTS, "GEMentorshipEnabled": True, "GEMentorshipShouldBeAutoremoved": True,
        "GEMentorshipStartOptedOutThresholds": {"enabled": True, "minEditcount": 500, "minTenureInDays": 30},
    }}
    bad = admin.post("edit", check=False, title=CONFIG_PAGE,
                     text=json.dumps({"GEMentorshipAutoremovedAfterDays": "ninety"}))
    assert error_code(bad) == SCHEMA_ERROR and "GEMentorshipAutoremovedAfterDays" in bad["error"]["info"]


# --- 12: fake replication lag -------------------------------------------------------------------

def test_fake_lag_trips_maxlag(wiki: DevWiki) -> None:
    anon = wiki.anonymous()
    wiki.set_fake_lag(7.5)
    try:
        response = anon.session.get(wiki.api, params={
            "action": "query", "meta": "siteinfo", "maxlag": "5", "format": "json"})
        error = response.json()["error"]
        assert error["code"] == "maxlag" and error["lag"] == 7.5
        assert response.headers["Retry-After"] == "5" and response.headers["X-Database-Lag"] == "7"
        assert "error" not in anon.get(meta="siteinfo", maxlag="10")
        assert "error" not in anon.get(meta="siteinfo")
    finally:
        wiki.set_fake_lag(None)
    assert "error" not in anon.get(meta="siteinfo", maxlag="5")
