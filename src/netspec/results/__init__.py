"""After training, no TensorFlow: per-run metrics, the study's figures, its report."""
