"""The source study's experiments, computed exactly (docs/model.md sections 8 and 9): the
experiment's settings (:mod:`.experiment`), its tables (:mod:`.tables`, rendered and written by
:mod:`slamarkov.io.tables`) and figures (:mod:`.figures`), and everything at once into a folder
(:mod:`.reproduce`)."""

from ..io.tables import (
    FORMATS,
    make_table,
    render_table,
    save_table,
    table_to_csv,
    table_to_json,
    table_to_markdown,
)
from .experiment import (
    HOLDING_COSTS,
    PUBLISHED_READY_RATE,
    RATIOS,
    READY_RATE_COLUMNS,
    REVIEW_PERIODS,
    STOCK_REVIEW_PERIODS,
    STUDY_AMOUNTS,
    STUDY_MAX_STOCK,
    STUDY_RUNS,
    Study,
    StudyCell,  # noqa: F401 (0.1's name of a cell's Solutions, kept importable)
)
from .reproduce import reproduce_all
from .tables import (
    CARRY_METRICS,
    LEFTOVERS,
    carry_over_table,
    cost_table,
    expected_standard_errors,
    published_comparison_table,
    ready_rate_table,
    saving_table,
    stage_stock_distribution,
    stock_table,
    weighted_quantiles,
)

__all__ = [
    "CARRY_METRICS",
    "FORMATS",
    "HOLDING_COSTS",
    "LEFTOVERS",
    "PUBLISHED_READY_RATE",
    "RATIOS",
    "READY_RATE_COLUMNS",
    "REVIEW_PERIODS",
    "STOCK_REVIEW_PERIODS",
    "STUDY_AMOUNTS",
    "STUDY_MAX_STOCK",
    "STUDY_RUNS",
    "Study",
    "carry_over_table",
    "cost_table",
    "expected_standard_errors",
    "make_table",
    "published_comparison_table",
    "ready_rate_table",
    "render_table",
    "reproduce_all",
    "save_table",
    "saving_table",
    "stage_stock_distribution",
    "stock_table",
    "table_to_csv",
    "table_to_json",
    "table_to_markdown",
    "weighted_quantiles",
]
