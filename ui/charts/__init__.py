"""Charts drawn with QPainter: stacked bars of tags, the coverage heat map, the coverage matrix as a picture,
and their export as PNG or SVG. Imported when first used (View › Charts…, a matrix export), never at start-up."""
