"""Views for the lecture: the walk-through (lesson), the architecture comparison and the Inception calculator."""
