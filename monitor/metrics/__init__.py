"""Model quality metrics on labelled rows (scikit-learn's definitions). Pure: arrays in, results out."""

from monitor.metrics.classification import MetricValue, binary_classification_metrics

__all__ = ["MetricValue", "binary_classification_metrics"]
