"""What the user sees and can change, in one Qt-free, evented tree (psygnal).

Widgets write the user's intent into these objects and repaint from their events; tasks write results back.
Nothing here imports Qt (tests/core/test_architecture_rules.py enforces it), so the state is tested without a
display and the session file is written from it.
"""
from explorer.state.app import AppState

__all__ = ["AppState"]
