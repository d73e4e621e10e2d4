"""Exception classes: one per kind of failure, each message names the field and the rule.

Every class derives from :class:`SlamarkovError`, itself a :class:`ValueError`, so callers
may catch the family or one member. The command line turns any of them into one line on
standard error and exit code 2.
"""

__all__ = [
    "SlamarkovError",
    "ContractError",
    "DemandError",
    "CostError",
    "InventoryError",
    "SolverError",
    "ConfigError",
    "PolicyError",
    "ChainError",
    "ChainSizeError",
    "SizeError",
    "SimulationError",
    "OutputError",
    "PlotDependencyError",
    "MonitorError",
    "ReportDependencyError",
    "GraphDependencyError",
    "GraphFormatError",
    "SweepError",
    "ExpressionError",
]


class SlamarkovError(ValueError):
    """Base class of every error slamarkov raises on bad input."""


class ContractError(SlamarkovError):
    """An invalid SLA contract field (review period, thresholds, scheme, amounts)."""


class DemandError(SlamarkovError):
    """An invalid demand distribution or parameter."""


class CostError(SlamarkovError):
    """An invalid cost parameter (the holding cost h)."""


class InventoryError(SlamarkovError):
    """Invalid inventory rule: leftover mode or initial stock."""


class SolverError(SlamarkovError):
    """A solver setting that cannot give the optimum (e.g. a max_stock that cuts it off)."""


class ConfigError(SlamarkovError):
    """A missing, malformed or inconsistent contract file."""


class PolicyError(SlamarkovError):
    """An invalid stock table (wrong shape, negative or non-finite stock)."""


class ChainError(SlamarkovError):
    """An invalid query on a policy's Markov chain (e.g. a state outside the chain)."""


class SizeError(SlamarkovError, MemoryError):
    """A request whose estimated memory or work exceeds the limit (``--max-gib``), refused
    before anything is allocated."""


class ChainSizeError(ChainError, SizeError):
    """A dense matrix was asked for that would exceed the memory guard."""


class SimulationError(SlamarkovError):
    """Invalid simulation settings or an unreadable runs file."""


class OutputError(SlamarkovError):
    """An output file or folder that cannot be written."""


class PlotDependencyError(SlamarkovError, ImportError):
    """matplotlib is not installed (figures and drawings need the ``plot`` extra)."""


class MonitorError(SlamarkovError):
    """An invalid log of a running review period (a row that breaks a rule) or monitor setting."""


class ReportDependencyError(SlamarkovError, ImportError):
    """jinja2 is not installed (HTML reports need the ``report`` extra)."""


class GraphDependencyError(SlamarkovError, ImportError):
    """pydot is not installed (Graphviz DOT files need the ``graph`` extra)."""


class GraphFormatError(SlamarkovError):
    """A graph file that cannot be read back, or an unknown export format."""


class SweepError(SlamarkovError):
    """A sweep or design request that cannot run (an unreachable scheduler, a bad worker count,
    an unknown column or an invalid query)."""


class ExpressionError(SlamarkovError):
    """A condition a user typed (``--where``) that is not in the accepted grammar: only columns,
    numbers, arithmetic, comparisons and ``and``/``or``/``not`` (nothing is run as code)."""
