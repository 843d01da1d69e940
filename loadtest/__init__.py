"""`govx run`: load scenarios with separate producer, exchange and receiver processes, and a verified report."""
