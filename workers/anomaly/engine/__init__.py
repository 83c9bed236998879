"""The anomaly engine: plain numpy functions, no Celery (see :mod:`.engine`)."""

from workers.anomaly.engine.engine import detect_series
from workers.anomaly.engine.marks import residual_anomalies, series_anomalies
from workers.anomaly.engine.streaming import StreamConfig, StreamingDetector

__all__ = ["StreamConfig", "StreamingDetector", "detect_series", "residual_anomalies",
           "series_anomalies"]
