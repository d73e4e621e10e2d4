"""Helpers with no knowledge of SLAs: exact numbers from what a user types, the binomial and
Poisson pmfs, the memory limit and size checks, progress bars and executors.

Every other folder may import from here; nothing here imports from them.
"""
