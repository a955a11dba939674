"""Initializers (fan-in/fan-out for the (in_features, out_features) layout)."""
