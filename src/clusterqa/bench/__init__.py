"""Benchmarks: public data (SciFact, ClapNQ), speed, and ingest throughput, each printed beside
the plain llama-index recipe measured in the same process. See BENCHMARKS.md."""
