"""The coinpos story as code: each chapter acts on a chain and a database and returns what
happened, so `scripts/demo.py` can narrate it and the e2e tests can check it."""
