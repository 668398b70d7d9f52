"""Convolution Playground: PlaygroundView (view.py) and the small widgets it is built from."""
