"""The engine: graph recording (function), reverse mode (engine), grad and anomaly modes (mode)."""
