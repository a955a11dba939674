"""The engine: node storage and write stamps (graph), recording (function), reverse mode (engine) and what flows
in and out of it (gradients), grad and anomaly modes (mode)."""
