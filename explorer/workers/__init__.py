"""Qt objects that run core work off the GUI thread; they talk to the UI by signals only."""
