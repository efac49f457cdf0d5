"""The docked panels: the library of articles, the annotations table, the status bar."""
