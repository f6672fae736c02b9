"""What every run that calls many models shares (judge runs and audits): one concurrency
limit per endpoint, a spending cap, retries, and a JSONL memory so nothing is paid twice."""
