"""The landscape: who leads among open models, by how many months, who is adopted, at what
cost, recomputed from published leaderboards, capability indices, the Hub and prices.
See docs/landscape.md."""
