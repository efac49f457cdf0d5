"""The comparison area: articles side by side, their highlights, the selection bar and find."""
