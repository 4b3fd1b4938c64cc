"""Speed of the engines and the pipeline against the peers: throughput, batching, graph layouts, profiles."""
