"""Votes on proposals and between variants: ballots online and on paper, tallies, the hall display."""
