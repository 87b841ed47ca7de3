"""The tracker: reads the chain in batched ranges, records what it sees in the transaction
log, confirms entries at depth while their block hashes still match, and unwinds reorgs.
"""
