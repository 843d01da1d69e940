"""Department receivers, ledgers and the record lookup store."""
