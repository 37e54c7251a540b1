"""The engine version: part of every seed, recorded on every issued dataset."""

# Bump when a change alters generated values for an unchanged spec and seed, then record
# the new version's golden digests: python -m tests.golden.refresh
# 2.0: seed fields are encoded as a JSON array, no longer joined with "|".
# 3.0: order constraints redraw inside the allowed range; names, products, courses and job
#      titles follow the columns they read; the example scenarios' realism fixes.
ENGINE_VERSION = "3.0"
