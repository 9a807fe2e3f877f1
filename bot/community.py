"""The community's Mentorship settings, so tasks never do what GrowthExperiments already does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import ApiFailure, load_json

if TYPE_CHECKING:
    from bot.gateway import Gateway

SETTINGS_PAGE = "MediaWiki:GrowthExperimentsMentorship.json"
# Where a wiki without CommunityConfiguration (GrowthExperiments REL1_43 and before) keeps them,
# over $wgGE... settings that the API does not show.
LEGACY_SETTINGS_PAGE = "MediaWiki:GrowthExperimentsConfig.json"
# The version of the Mentorship provider's schema the bot reads; CommunityConfiguration refuses
# to read a page saved through it unless the caller asserts one.
MENTORSHIP_SCHEMA_VERSION = "1.0.0"
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


# Without CommunityConfiguration, GrowthExperiments switches mentorship on by default.
LEGACY_DEFAULTS: dict[str, Any] = {**DEFAULTS, "GEMentorshipEnabled": True}


@dataclass(frozen=True)
class CommunitySettings:
    values: dict[str, Any]
    source: str  # "communityconfiguration", "page", "defaults", "legacy page" or "legacy defaults"

    @property
    def legacy(self) -> bool:
        """GrowthExperiments from before CommunityConfiguration (REL1_43): it has neither its own
        cleaner nor graduation thresholds, whatever its settings page says."""
        return self.source.startswith("legacy")

    @property
    def mentorship_enabled(self) -> bool:
        return bool(self.values["GEMentorshipEnabled"])

    @property
    def ge_marks_away(self) -> bool:
        return bool(self.values["GEMentorshipShouldBeAutoawayed"])

    @property
    def ge_removes(self) -> bool:
        return bool(self.values["GEMentorshipShouldBeAutoremoved"])


def merge(found: dict[str, Any], source: str, defaults: dict[str, Any] = DEFAULTS) -> CommunitySettings:
    values = {**defaults, **{k: v for k, v in found.items() if k in defaults}}
    thresholds = found.get("GEMentorshipStartOptedOutThresholds")
    if isinstance(thresholds, dict):
        default = DEFAULTS["GEMentorshipStartOptedOutThresholds"]
        values["GEMentorshipStartOptedOutThresholds"] = {**default, **thresholds}
    return CommunitySettings(values, source)


def read_community_settings(gateway: Gateway) -> CommunitySettings:
    """The settings where the wiki keeps them, told apart by what the wiki shows, not by its version.

    With CommunityConfiguration (``meta=communityconfiguration`` in paraminfo, as on Wikimedia's
    wikis): the Mentorship provider, asserting its schema version, else its JSON page. The module
    answers at the top level: ``{"communityconfiguration": {"data": {...}}}``. Without it
    (GrowthExperiments REL1_43 on MediaWiki 1.43): ``MediaWiki:GrowthExperimentsConfig.json`` over
    that version's defaults, in which mentorship is on.
    """
    if not gateway.capabilities().has("query+communityconfiguration"):
        legacy = gateway.read_page(LEGACY_SETTINGS_PAGE)
        if not legacy.exists:
            return merge({}, "legacy defaults", LEGACY_DEFAULTS)
        return merge(load_json(legacy.text, f"[[{LEGACY_SETTINGS_PAGE}]]"), "legacy page", LEGACY_DEFAULTS)
    try:
        result = gateway.get(meta="communityconfiguration", ccrprovider="Mentorship",
                             ccrassertversion=MENTORSHIP_SCHEMA_VERSION)
    except ApiFailure:
        result = {}  # another schema version: the page itself says everything we need
    data = result.get("communityconfiguration", {}).get("data")
    if isinstance(data, dict):
        return merge(data, "communityconfiguration")
    page = gateway.read_page(SETTINGS_PAGE)
    if not page.exists:
        return merge({}, "defaults")
    return merge(load_json(page.text, f"[[{SETTINGS_PAGE}]]"), "page")
