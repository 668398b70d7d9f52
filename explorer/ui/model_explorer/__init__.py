"""The Model Explorer tab: model picker, layer stepping, activations, filters and receptive fields."""
