"""Figures (matplotlib, the optional ``plot`` extra): drawings of a policy's chain and stock
table."""

from .policy import CHAIN_MAX_REVIEW_PERIOD, draw_chain, draw_policy_heatmap

__all__ = ["draw_chain", "draw_policy_heatmap", "CHAIN_MAX_REVIEW_PERIOD"]


def __getattr__(name):
    # the study's figures were in slamarkov.plot in 0.1; they live with the study now
    from .._compat import lifted

    return lifted(__name__, name)
