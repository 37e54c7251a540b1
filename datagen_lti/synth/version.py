"""The engine version: part of every seed, recorded on every issued dataset."""

# Bump when a change alters generated values for an unchanged spec and seed.
ENGINE_VERSION = "1.0"
