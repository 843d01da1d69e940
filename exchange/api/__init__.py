"""`govx api`: the directory and record lookup API (FastAPI), per department."""
