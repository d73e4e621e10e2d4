"""Contract sweeps and design (docs/model.md section 12): grid files, every point solved on an
executor, the best contracts under constraints and the Pareto front."""

from .runner import (
    MAX_BATCH,
    POLICIES,
    RESULT_COLUMNS,
    TABLE_FORMATS,
    check_table_path,
    connect,
    read_table,
    solve_point,
    sweep,
    write_table,
)

__all__ = ["sweep", "solve_point", "write_table", "read_table", "check_table_path", "connect",
           "TABLE_FORMATS", "RESULT_COLUMNS", "POLICIES", "MAX_BATCH"]
