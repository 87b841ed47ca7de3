"""Location mining: the claim oracle that checks GPS fixes and signs GeoRewards attestations.

Modules: `geo` (the contract's distance math, and a haversine reference), `fixes` (fixes and
claim requests parsed from JSON), `signing` (the EIP-712 attestation and its signers), `oracle`
(the checks, and the service that approves or rejects a claim), `chain` (GeoRewards calls
through ape) and `cli` (the `coinpos mining` commands). The tables live in
`coinpos.db.models.mining`.
"""
