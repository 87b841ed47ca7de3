"""coinpos: crypto payments at the point of sale, with an off-chain exchange module."""

__version__ = "0.1.0"
