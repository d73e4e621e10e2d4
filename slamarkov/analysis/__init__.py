"""Questions asked of a solved policy: its gaming indicators, its graph and inspection report,
and where a running review period stands (docs/model.md sections 6, 12 and 13)."""
