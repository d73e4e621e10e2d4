"""Files in and out: atomic output, reading a user's file, tables (pandas) and graph formats.

Nothing here knows what a contract is: the readers of slamarkov's own formats (contract files,
runs files, monitor logs) live with their concepts and use these helpers.
"""
