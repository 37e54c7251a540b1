"""Domain vocabularies shipped with the engine as JSON data files (never downloaded)."""
