"""PyInstaller runtime hook: the bundle leaves out PySide6.QtOpenGL (8.9 MB of bindings).

pyqtgraph imports it at start-up but uses it only to draw curves and meshes with OpenGL, which is off unless
``pg.setConfigOptions(useOpenGL=True)``; CNN Explorer never turns it on. This stand-in satisfies the import and
turns any real use into a clear error instead of an AttributeError deep inside pyqtgraph.
"""
import sys
import types


class _NotBundled(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(f"PySide6.QtOpenGL.{name}: Qt's OpenGL bindings are not in this bundle "
                          "(build_app.spec leaves them out; pyqtgraph's useOpenGL must stay off)")


sys.modules.setdefault("PySide6.QtOpenGL", _NotBundled("PySide6.QtOpenGL"))
