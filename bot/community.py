"""The community's Mentorship settings, so tasks never do what GrowthExperiments already does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import ApiFailure, load_json

if TYPE_CHECKING:
    from bot.gateway import Gateway

SETTINGS_PAGE = "MediaWiki:GrowthExperimentsMentorship.json"
# GrowthExperiments' defaults, used for every key the community has not set.
DEFAULTS: dict[str, Any] = {
    "GEMentorshipEnabled": False,
    "GEMentorshipAutomaticEligibility": True,
    "GEMentorshipMinimumAge": 90,
    "GEMentorshipMinimumEditcount": 500,
    "GEMentorshipStartOptedOutThresholds": {"enabled": False, "minEditcount": 500, "minTenureInDays": 30},
    "GEMentorshipShouldBeAutoawayed": False,
    "GEMentorshipAutoawayedAfterDays": 10,
    "GEMentorshipShouldBeAutoremoved": False,
    "GEMentorshipAutoremovedAfterDays": 90,
}


@dataclass(frozen=True)
class CommunitySettings:
    values: dict[str, Any]
    source: str  # "communityconfiguration", "page" or "defaults"

    @property
    def mentorship_enabled(self) -> bool:
        return bool(self.values["GEMentorshipEnabled"])

    @property
    def ge_marks_away(self) -> bool:
        return bool(self.values["GEMentorshipShouldBeAutoawayed"])

    @property
    def ge_removes(self) -> bool:
        return bool(self.values["GEMentorshipShouldBeAutoremoved"])


def merge(found: dict[str, Any], source: str) -> CommunitySettings:
    values = {**DEFAULTS, **{k: v for k, v in found.items() if k in DEFAULTS}}
    thresholds = found.get("GEMentorshipStartOptedOutThresholds")
    if isinstance(thresholds, dict):
        default = DEFAULTS["GEMentorshipStartOptedOutThresholds"]
        values["GEMentorshipStartOptedOutThresholds"] = {**default, **thresholds}
    return CommunitySettings(values, source)


def read_community_settings(gateway: Gateway) -> CommunitySettings:
    """From ``meta=communityconfiguration`` where the wiki has it, else the JSON page.

    The module answers at the top level: ``{"communityconfiguration": {"data": {...}}}``.
    """
    if gateway.capabilities().has("query+communityconfiguration"):
        try:
            result = gateway.get(meta="communityconfiguration", ccrprovider="Mentorship")
        except ApiFailure:
            # CommunityConfiguration refuses to read a versioned page unless the caller asserts
            # the version; the page itself says everything we need.
            result = {}
        data = result.get("communityconfiguration", {}).get("data")
        if isinstance(data, dict):
            return merge(data, "communityconfiguration")
    page = gateway.read_page(SETTINGS_PAGE)
    if not page.exists:
        return merge({}, "defaults")
    return merge(load_json(page.text, f"[[{SETTINGS_PAGE}]]"), "page")
