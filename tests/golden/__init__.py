"""Golden digests: the values each example spec generates, recorded per engine version."""
