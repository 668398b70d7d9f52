"""The MNIST case study tab: draw a digit, browse held-out digits, CNN against fully connected, weight arithmetic."""
