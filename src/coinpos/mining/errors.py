"""Errors of the mining module; each is a CoinposError, so the CLI shows one line and exits 2."""

from __future__ import annotations

from coinpos.errors import CoinposError


class MiningError(CoinposError):
    """Base class of the mining module's errors."""


class InvalidFixError(MiningError):
    """A fix or claim request is malformed (missing field, bad coordinate, bad address)."""


class UnknownCampaignError(MiningError):
    """The oracle has no record of the campaign."""


class CampaignConflictError(MiningError):
    """A campaign is already registered with different terms."""


class UnknownClaimError(MiningError):
    """The oracle approved no claim with this id."""
