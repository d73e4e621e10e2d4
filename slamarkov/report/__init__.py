"""Reports of a contract: ``solve``'s JSON and text, and the self-contained HTML page."""

from .solve import solve_report, solve_text

__all__ = ["solve_report", "solve_text"]
