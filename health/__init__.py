"""Asset health: the standards' own validators, named checks, the score and its reports.

A pure library: it reads files and returns typed verdicts, and knows no jobs, HTTP or
database, so a conversion job, a benchmark and a test all grade an asset the same way.
"""
