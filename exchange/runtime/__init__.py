"""Process plumbing: settings, metrics, ledgers and the service loop."""
