"""The eval set and its gate: cases (YAML), metrics, the runner (a typed report), the
baseline comparison, the Markdown/JSON/PNG report, and the plain llama-index recipe."""
