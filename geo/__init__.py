"""Geography: boundary handling and map layers (the schematic demo geography is demo/geography.py)."""
