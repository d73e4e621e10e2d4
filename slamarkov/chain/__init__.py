"""The absorbing Markov chain of a review period (docs/model.md sections 6 and 11): the state
space layered by period, a policy's stock table over it, the kernels that move probability from
one layer to the next, and the chain's questions (Q, R, N, B, rows from any state)."""

from .absorbing import DEFAULT_MAX_BYTES, AbsorbingChain
from .distribution import ReadyRateDistribution
from .fill import FillRateDistribution
from .policy import Policy
from .space import StateSpace

__all__ = ["AbsorbingChain", "DEFAULT_MAX_BYTES", "Policy", "ReadyRateDistribution",
           "StateSpace", "FillRateDistribution"]
