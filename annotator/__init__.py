"""The Qt-free annotation core: storage, import, export, merge, commands and CLI."""
