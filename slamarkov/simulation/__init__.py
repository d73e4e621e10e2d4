"""Monte Carlo runs of a policy, runs files, and the judge of runs against the exact chain
(docs/model.md section 7)."""
