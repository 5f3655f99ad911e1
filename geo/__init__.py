"""Geography: boundary handling and the schematic demo geography (示意边界)."""
