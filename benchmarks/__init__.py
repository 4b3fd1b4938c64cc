"""Scripts that measure and print figures (not tests); run each as a module from the repository root."""
