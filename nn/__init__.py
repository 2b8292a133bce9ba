"""chainrule's neural-network library, built from ``engine.Value`` (work in progress)."""
