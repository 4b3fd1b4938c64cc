"""Quality: the drop-in against sentence-transformers, the training demonstrations, the cluster map."""
