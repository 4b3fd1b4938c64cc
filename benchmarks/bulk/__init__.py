"""The bulk encoder: speed against the library, Ray, memory over a long run."""
