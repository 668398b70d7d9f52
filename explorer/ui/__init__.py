"""Widgets and windows. Importing this package configures pyqtgraph once for every view."""
import pyqtgraph as pg

# numpy images are (row, col); without this pyqtgraph would draw them transposed.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
