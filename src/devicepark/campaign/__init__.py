"""Campaigns: TOML campaign files (spec), the prices at an instant (offers), whom to tell
(audience) and what the promotion did (measure).

Entry points: ``load_campaign``, ``check_campaign``, ``offers_at`` (here);
the expressions of ``audience`` and ``measure`` and the pure ``effect.estimate_effect`` (import
them from their modules: they pull in Ibis and statsmodels), which
``devicepark.answers.audience`` and ``devicepark.answers.measure`` execute; CLI:
``devicepark campaign``.
"""

from devicepark.campaign.offers import offers_at, parse_at
from devicepark.campaign.spec import Audience, Campaign, Offer, Phase, check_campaign, load_campaign

__all__ = [
    "Audience",
    "Campaign",
    "Offer",
    "Phase",
    "check_campaign",
    "load_campaign",
    "offers_at",
    "parse_at",
]
