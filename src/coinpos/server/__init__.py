"""The exchange server: what every HTTP route shares (app factory, authentication, problem
details, idempotency, access logs, health). Each area's routes live beside its service in
`<area>/api.py`, with their request and response models in `<area>/schemas.py`.
"""
