"""The transport families' report: latency, throughput and the reference checks."""
